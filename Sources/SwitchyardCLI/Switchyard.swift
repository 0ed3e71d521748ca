import ArgumentParser
import ServiceKit

/// `switchyard`: the command-line tool for operators (query services; train and evaluate routers).
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Switchyard: an LLM router.",
        version: switchyardVersion,
        subcommands: [TrainCommand.self, EvalCommand.self, RouteCommand.self, ConvertCommand.self, StatusCommand.self, CompareCommand.self, ProtoCommand.self,
                      CalibrateCommand.self, EmbedCommand.self, OutcomesCommand.self, ReloadCommand.self, InspectCommand.self, SimulateCommand.self, RouterCommand.self, ExplainCommand.self])
}
