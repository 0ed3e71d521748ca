"""Generates the Swift message layer of Wire from proto/ (run by scripts/gen-proto.sh).

Input: a FileDescriptorSet written by `protoc --include_source_info --descriptor_set_out`.
Output: one Swift file per .proto file with
  - a value type per message (properties with the .proto comments as doc comments, a memberwise
    init with proto3 defaults), oneofs as enums (a oneof of one member, proto3's way of saying
    "presence", as an optional property), a Swift enum per proto enum;
  - the bridge to protobuf-c: each message reads itself from, and fills in, the C struct that
    protoc-c generated for it, field by field through the struct's members, so the Swift compiler
    checks every mapping against the C header (no field numbers in hand-written code).

Usage: swift_messages.py DESCRIPTOR_SET OUTPUT_DIR
"""
import os
import re
import sys

from google.protobuf import descriptor_pb2 as pb

F = pb.FieldDescriptorProto

# Words written in capitals in Swift names (Swift API guidelines: acronyms are uniformly cased).
ACRONYMS = {"id": "ID", "usd": "USD", "url": "URL", "ngram": "NGram"}

SCALARS = {
    F.TYPE_DOUBLE: ("Double", "0"),
    F.TYPE_FLOAT: ("Float", "0"),
    F.TYPE_INT64: ("Int64", "0"),
    F.TYPE_SINT64: ("Int64", "0"),
    F.TYPE_SFIXED64: ("Int64", "0"),
    F.TYPE_UINT64: ("UInt64", "0"),
    F.TYPE_FIXED64: ("UInt64", "0"),
    F.TYPE_INT32: ("Int32", "0"),
    F.TYPE_SINT32: ("Int32", "0"),
    F.TYPE_SFIXED32: ("Int32", "0"),
    F.TYPE_UINT32: ("UInt32", "0"),
    F.TYPE_FIXED32: ("UInt32", "0"),
    F.TYPE_BOOL: ("Bool", "false"),
    F.TYPE_STRING: ("String", '""'),
    F.TYPE_BYTES: ("[UInt8]", "[]"),
}

SWIFT_KEYWORDS = {"internal", "default", "case", "class", "enum", "func", "import", "init", "let", "operator",
                  "protocol", "public", "return", "self", "static", "struct", "subscript", "switch", "var", "where"}


def camel(snake, upper_first=False):
    words = snake.lower().split("_")
    out = []
    for i, word in enumerate(words):
        if word in ACRONYMS and (i > 0 or upper_first):
            out.append(ACRONYMS[word])
        elif i == 0 and not upper_first:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return "".join(out)


def escaped(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def c_lower(name):
    """protoc-c's CamelToLower: an underscore before each capital that follows a small letter."""
    out, was_upper = "", True
    for ch in name:
        if ch.isupper():
            if not was_upper:
                out += "_"
            out += ch.lower()
            was_upper = True
        else:
            out += ch
            was_upper = False
    return out


def doc(comment, indent):
    """A /// doc comment from a .proto leading comment."""
    if not comment:
        return ""
    lines = [line[1:] if line.startswith(" ") else line for line in comment.rstrip("\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return "".join(f"{indent}///{(' ' + line) if line.strip() else ''}\n" for line in lines)


class Context:
    def __init__(self, fileset):
        self.messages = {}  # ".pkg.Name" -> (file, DescriptorProto, swift name, C type, c function prefix)
        self.enums = {}  # ".pkg.Name" -> swift name
        self.enum_zero = {}  # ".pkg.Name" -> the Swift case of value 0
        for f in fileset.file:
            package = f.package
            c_package = "__".join(part[:1].upper() + part[1:] for part in package.split("."))
            fn_package = "__".join(package.split("."))
            for message in f.message_type:
                full = f".{package}.{message.name}"
                self.messages[full] = (f, message, message.name, f"{c_package}__{message.name}",
                                       f"{fn_package}__{c_lower(message.name)}")
            for enum in f.enum_type:
                self.enums[f".{package}.{enum.name}"] = enum.name
                zero = next(v for v in enum.value if v.number == 0)
                self.enum_zero[f".{package}.{enum.name}"] = enum_case(enum, zero)


class Field:
    """One field of a message, with everything the templates need."""

    def __init__(self, ctx, field, comment):
        self.field = field
        self.name = escaped(camel(field.name))
        self.c_name = field.name
        self.comment = comment
        self.repeated = field.label == F.LABEL_REPEATED
        self.kind = field.type
        if field.type == F.TYPE_MESSAGE:
            if field.type_name not in ctx.messages:
                sys.exit(f"swift_messages: {field.name}: message {field.type_name} from another package is not supported")
            _, _, self.element, self.c_element, _ = ctx.messages[field.type_name]
            self.default = "nil"
        elif field.type == F.TYPE_ENUM:
            self.element = ctx.enums[field.type_name]
            self.default = None  # the enum's zero case, filled in by the caller
        elif field.type in SCALARS:
            self.element, self.default = SCALARS[field.type]
        else:
            sys.exit(f"swift_messages: {field.name}: field type {field.type} is not supported")

    @property
    def swift_type(self):
        if self.repeated:
            return f"[{self.element}]"
        if self.kind == F.TYPE_MESSAGE:
            return f"{self.element}?"
        return self.element

    @property
    def swift_default(self):
        return "[]" if self.repeated else self.default

    def read(self, source):
        """A Swift expression reading the field's value from C struct member `source`."""
        if self.repeated:
            count = source.rsplit(".", 1)[0] + ".n_" + self.c_name
            if self.kind == F.TYPE_STRING:
                return f"ProtoC.strings({source}, {count})"
            if self.kind == F.TYPE_BYTES:
                return f"ProtoC.array({source}, {count}).map(ProtoC.bytes)"
            if self.kind == F.TYPE_MESSAGE:
                return f"ProtoC.array({source}, {count}).map {{ {self.element}(unpacked: $0!) }}"
            if self.kind == F.TYPE_ENUM:
                return f"ProtoC.array({source}, {count}).map {{ {self.element}(protoValue: Int32(truncatingIfNeeded: $0.rawValue)) }}"
            if self.kind == F.TYPE_BOOL:
                return f"ProtoC.array({source}, {count}).map {{ $0 != 0 }}"
            return f"ProtoC.array({source}, {count})"
        return self.read_single(source)

    def read_single(self, source):
        if self.kind == F.TYPE_STRING:
            return f"ProtoC.string({source})"
        if self.kind == F.TYPE_BYTES:
            return f"ProtoC.bytes({source})"
        if self.kind == F.TYPE_MESSAGE:
            return f"{source}.map {{ {self.element}(unpacked: $0) }}"
        if self.kind == F.TYPE_ENUM:
            return f"{self.element}(protoValue: Int32(truncatingIfNeeded: {source}.rawValue))"
        if self.kind == F.TYPE_BOOL:
            return f"{source} != 0"
        return source

    def write(self, target, value, oneof=False):
        """Swift statements storing `value` into C struct member `target`."""
        if self.repeated:
            count = target.rsplit(".", 1)[0] + ".n_" + self.c_name
            if self.kind == F.TYPE_STRING:
                conversion = f"{value}.map {{ arena.string($0) }}"
            elif self.kind == F.TYPE_BYTES:
                conversion = f"{value}.map {{ arena.bytes($0) }}"
            elif self.kind == F.TYPE_MESSAGE:
                conversion = f"{value}.map {{ Optional($0.packed(in: arena)) }}"
            elif self.kind == F.TYPE_ENUM:
                conversion = f"{value}.map {{ .init(rawValue: .init(truncatingIfNeeded: $0.rawValue)) }}"
            elif self.kind == F.TYPE_BOOL:
                conversion = f"{value}.map {{ $0 ? 1 : 0 }}"
            else:
                conversion = value
            return [f"if !{value}.isEmpty {{ ({count}, {target}) = arena.array({conversion}) }}"]
        if self.kind == F.TYPE_STRING:
            if oneof:
                return [f"{target} = arena.string({value})"]
            return [f"if !{value}.isEmpty {{ {target} = arena.string({value}) }}"]
        if self.kind == F.TYPE_BYTES:
            return [f"{target} = arena.bytes({value})"]
        if self.kind == F.TYPE_MESSAGE:
            if oneof:
                return [f"{target} = {value}.packed(in: arena)"]
            return [f"if let value = {value} {{ {target} = value.packed(in: arena) }}"]
        if self.kind == F.TYPE_ENUM:
            return [f"{target} = .init(rawValue: .init(truncatingIfNeeded: {value}.rawValue))"]
        if self.kind == F.TYPE_BOOL:
            return [f"{target} = {value} ? 1 : 0"]
        return [f"{target} = {value}"]


def comments_of(file):
    """Leading comments by location path."""
    found = {}
    for location in file.source_code_info.location:
        if location.leading_comments:
            found[tuple(location.path)] = location.leading_comments
    return found


def oneof_signature(message, index):
    return tuple((f.name, f.type, f.type_name) for f in message.field
                 if f.HasField("oneof_index") and f.oneof_index == index)


def shared_oneofs(ctx):
    """Oneofs of the same name and members in several messages share one top-level Swift enum,
    declared in the file of the first message that has it. Returns
    {(oneof name, signature): (file, message index, oneof index, [message names])}."""
    seen = {}
    for f, message, _, _, _ in ctx.messages.values():
        for index, oneof in enumerate(message.oneof_decl):
            signature = oneof_signature(message, index)
            if len(signature) > 1:
                key = (oneof.name, signature)
                if key not in seen:
                    seen[key] = (f, list(f.message_type).index(message), index, [])
                seen[key][3].append(message.name)
    return {key: value for key, value in seen.items() if len(value[3]) > 1}


def enum_case(enum, value):
    """The Swift case of an enum value: its name without the enum's prefix, in camel case."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
    short = value.name[len(prefix):] if value.name.startswith(prefix) else value.name
    return escaped(camel(short))


def generate_enum(enum, comments, path):
    lines = [doc(comments.get(path, ""), "").rstrip("\n") or f"/// proto: `{enum.name}`"]
    lines.append(f"public enum {enum.name}: Int32, ProtoEnum, CaseIterable, CustomStringConvertible {{")
    cases = []
    for i, value in enumerate(enum.value):
        case = enum_case(enum, value)
        cases.append((case, value))
        if comments.get(path + (2, i)):
            lines.append(doc(comments[path + (2, i)], "    ").rstrip("\n"))
        lines.append(f"    case {case} = {value.number}")
    names = [case for case, _ in cases]
    fallback = "unknown" if "unknown" in names else next(case for case, v in cases if v.number == 0)
    lines.append("")
    lines.append("    /// Numbers this build does not know (from a newer peer) read as this case.")
    lines.append(f"    public static var unrecognized: {enum.name} {{ .{fallback} }}")
    lines.append("")
    lines.append("    /// The name in the .proto file, e.g. \"" + cases[min(3, len(cases) - 1)][1].name + "\".")
    lines.append("    public var description: String {")
    lines.append("        switch self {")
    for case, value in cases:
        lines.append(f"        case .{case.strip('`')}: \"{value.name}\"")
    lines.append("        }")
    lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generate_oneof_enum(name, fields, indent):
    lines = [f"{indent}public enum {name}: Sendable, Equatable {{"]
    for field in fields:
        if field.comment:
            lines.append(doc(field.comment, indent + "    ").rstrip("\n"))
        lines.append(f"{indent}    case {field.name}({field.element})")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def generate_message(ctx, file, message, comments, path, shared):
    _, _, swift, c_type, fn = ctx.messages[f".{file.package}.{message.name}"]
    fields = []
    for i, f in enumerate(message.field):
        field = Field(ctx, f, comments.get(path + (2, i), ""))
        if f.type == F.TYPE_ENUM:
            field.default = "." + escaped(ctx.enum_zero[f.type_name])
        fields.append(field)
    # Properties: plain fields, and one per oneof in the order of its first member.
    properties = []  # (name, type, default, comment, kind, payload)
    oneof_done = set()
    nested_enums = []
    for field in fields:
        f = field.field
        if f.HasField("oneof_index"):
            index = f.oneof_index
            if index in oneof_done:
                continue
            oneof_done.add(index)
            members = [x for x in fields if x.field.HasField("oneof_index") and x.field.oneof_index == index]
            oneof = message.oneof_decl[index]
            oneof_comment = comments.get(path + (8, index), "")
            if len(members) == 1:
                member = members[0]
                properties.append((member.name, f"{member.element}?", "nil", member.comment or oneof_comment,
                                   "presence", (oneof, members)))
            else:
                enum_name = camel(oneof.name, upper_first=True)
                if (oneof.name, oneof_signature(message, index)) not in shared:
                    nested_enums.append(generate_oneof_enum(enum_name, members, "    "))
                properties.append((escaped(camel(oneof.name)), f"{enum_name}?", "nil", oneof_comment, "oneof",
                                   (oneof, members)))
        else:
            properties.append((field.name, field.swift_type, field.swift_default, field.comment, "field", field))

    out = []
    comment = doc(comments.get(path, ""), "")
    out.append(comment + ("///\n" if comment else "") + f"/// proto: `{file.package}.{message.name}`")
    out.append(f"public struct {swift}: ProtoMessage, Equatable {{")
    for name, swift_type, default, comment, _, _ in properties:
        if comment:
            out.append(doc(comment, "    ").rstrip("\n"))
        out.append(f"    public var {name}: {swift_type}")
    if nested_enums:
        out.append("")
        out.extend(nested_enums)
    out.append("")
    if properties:
        parameters = [f"{name.strip('`')}: {t} = {d}" for name, t, d, _, _, _ in properties]
        if len(", ".join(parameters)) <= 90:
            out.append(f"    public init({', '.join(parameters)}) {{")
        else:
            out.append("    public init(")
            out.append(",\n".join("        " + parameter for parameter in parameters))
            out.append("    ) {")
        for name, _, _, _, _, _ in properties:
            bare = name.strip("`")
            out.append(f"        self.{bare} = {bare}")
        out.append("    }")
    else:
        out.append("    public init() {}")
    out.append("")
    out.append(f"    public static let protoName = \"{file.package}.{message.name}\"")
    out.append("}")
    out.append("")

    # The protobuf-c bridge.
    out.append(f"extension {swift}: CBridged {{")
    out.append(f"    typealias CMessage = {c_type}")
    out.append("")
    out.append(f"    public static func unpacked(from bytes: UnsafeRawBufferPointer) -> {swift}? {{ ProtoC.unpack(bytes) }}")
    out.append("    public func protobufC(in arena: ProtoArena) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(packed(in: arena)) }")
    out.append("")
    out.append(f"    static func initialize(_ m: UnsafeMutablePointer<CMessage>) {{ {fn}__init(m) }}")
    out.append("")
    out.append(f"    static func unpack(_ length: Int, _ bytes: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CMessage>? {{")
    out.append(f"        {fn}__unpack(nil, length, bytes)")
    out.append("    }")
    out.append("")
    out.append(f"    static func free(_ m: UnsafeMutablePointer<CMessage>) {{ {fn}__free_unpacked(m, nil) }}")
    out.append("")
    if properties:
        out.append("    init(unpacked m: UnsafePointer<CMessage>) {")
        for name, _, _, _, kind, payload in properties:
            bare = name.strip("`")
            if kind == "field":
                out.append(f"        {bare} = {payload.read('m.pointee.' + payload.c_name)}")
            elif kind == "presence":
                oneof, (member,) = payload
                out.append(f"        {bare} = m.pointee.{oneof.name}_case.rawValue == {member.field.number}"
                           f" ? {member.read_single('m.pointee.' + member.c_name)} : nil")
            else:
                oneof, members = payload
                out.append(f"        switch m.pointee.{oneof.name}_case.rawValue {{")
                for member in members:
                    out.append(f"        case {member.field.number}: {bare} = .{member.name}"
                               f"({member.read_single('m.pointee.' + member.c_name)})")
                out.append(f"        default: {bare} = nil")
                out.append("        }")
        out.append("    }")
    else:
        out.append("    init(unpacked m: UnsafePointer<CMessage>) {}")
    out.append("")
    if properties:
        out.append("    func fill(_ m: UnsafeMutablePointer<CMessage>, in arena: ProtoArena) {")
        for name, _, _, _, kind, payload in properties:
            bare = name.strip("`")
            if kind == "field":
                for line in payload.write("m.pointee." + payload.c_name, bare):
                    out.append("        " + line)
            elif kind == "presence":
                oneof, (member,) = payload
                out.append(f"        if let value = {bare} {{")
                out.append(f"            m.pointee.{oneof.name}_case = .init(rawValue: {member.field.number})")
                for line in member.write("m.pointee." + member.c_name, "value", oneof=True):
                    out.append("            " + line)
                out.append("        }")
            else:
                oneof, members = payload
                out.append(f"        switch {bare} {{")
                for member in members:
                    out.append(f"        case .{member.name.strip('`')}(let value)?:")
                    out.append(f"            m.pointee.{oneof.name}_case = .init(rawValue: {member.field.number})")
                    for line in member.write("m.pointee." + member.c_name, "value", oneof=True):
                        out.append("            " + line)
                out.append("        case nil: break")
                out.append("        }")
        out.append("    }")
    else:
        out.append("    func fill(_ m: UnsafeMutablePointer<CMessage>, in arena: ProtoArena) {}")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    descriptor_set, output = sys.argv[1], sys.argv[2]
    fileset = pb.FileDescriptorSet()
    with open(descriptor_set, "rb") as handle:
        fileset.ParseFromString(handle.read())
    ctx = Context(fileset)
    shared = shared_oneofs(ctx)
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "AllMessages.pb.swift"), "w") as handle:
        handle.write("// Generated by scripts/gen-proto.sh from proto/. Do not edit.\n\n")
        handle.write("/// Every message of proto/, by full name (for tools that decode any message, and tests).\n")
        handle.write("public let protoMessageTypes: [String: any ProtoMessage.Type] = [\n")
        for full, (_, _, swift, _, _) in sorted(ctx.messages.items()):
            handle.write(f"    \"{full[1:]}\": {swift}.self,\n")
        handle.write("]\n")
    for f in fileset.file:
        if not f.message_type and not f.enum_type:
            continue  # services.proto: the method tables come from method_tables.py
        if f.syntax != "proto3":
            sys.exit(f"swift_messages: {f.name}: only proto3 is supported")
        comments = comments_of(f)
        parts = [f"// Generated by scripts/gen-proto.sh from proto/{f.name}. Do not edit.\n",
                 "import CSwitchyardProto\n"]
        for (name, _), (home, message_index, oneof_index, users) in sorted(shared.items()):
            if home is not f:
                continue
            owner = f.message_type[message_index]
            members = [Field(ctx, field, comments.get((4, message_index, 2, j), ""))
                       for j, field in enumerate(owner.field)
                       if field.HasField("oneof_index") and field.oneof_index == oneof_index]
            parts.append(f"/// The `{name}` oneof of " + ", ".join(f"`{u}`" for u in users) + ".\n"
                         + generate_oneof_enum(camel(name, upper_first=True), members, "") + "\n")
        for i, enum in enumerate(f.enum_type):
            parts.append(generate_enum(enum, comments, (5, i)))
        for i, message in enumerate(f.message_type):
            if message.nested_type or message.enum_type:
                sys.exit(f"swift_messages: {message.name}: nested messages and enums are not supported")
            for field in message.field:
                if field.proto3_optional:
                    sys.exit(f"swift_messages: {message.name}.{field.name}: proto3 optional is not supported (protoc-c 1.4)")
            parts.append(generate_message(ctx, f, message, comments, (4, i), shared))
        name = os.path.splitext(os.path.basename(f.name))[0]
        with open(os.path.join(output, f"{name}.pb.swift"), "w") as handle:
            handle.write("\n".join(parts))


if __name__ == "__main__":
    main()
