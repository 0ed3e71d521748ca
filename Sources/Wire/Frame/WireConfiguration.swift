/// Limits and compression of the frames on a connection.
public struct WireConfiguration: Sendable, Equatable {
    /// The largest payload accepted or sent, in bytes (after decompression, too). Default 4 MiB.
    public var maxFrameSize: Int
    /// Payloads of at least this many bytes are sent zlib-compressed when that makes them smaller;
    /// nil never compresses. Compressed frames are always accepted.
    public var compressionThreshold: Int?
    /// zlib level for sending, 1 (fastest) to 9 (smallest).
    public var compressionLevel: Int32

    /// The default: 4 MiB frames, compression from 32 KiB at level 1.
    ///
    /// Most Switchyard messages are far below the threshold (a Route request with a 384-float
    /// embedding is ~1.6 KB, and floats barely compress); long prompts and batched Embed
    /// responses are what cross it.
    public init(maxFrameSize: Int = 4 << 20, compressionThreshold: Int? = 32 << 10, compressionLevel: Int32 = 1) {
        self.maxFrameSize = maxFrameSize
        self.compressionThreshold = compressionThreshold
        self.compressionLevel = compressionLevel
    }
}
