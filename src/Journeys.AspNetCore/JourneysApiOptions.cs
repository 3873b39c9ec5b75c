namespace Journeys.AspNetCore;

/// <summary>Options of the endpoints mapped by <c>MapJourneys</c>: who may call them and how large a request may be.</summary>
public sealed class JourneysApiOptions
{
    /// <summary>The default largest request body, 1 MiB.</summary>
    public const long DefaultMaxRequestBodySize = 1024 * 1024;

    /// <summary>
    /// The name of the authorization policy every endpoint requires. When <see langword="null"/> (the default) the
    /// endpoints require the host's default policy, which by default is "an authenticated user".
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// True to let anyone call the endpoints, with no authentication. Off by default: a host must opt in explicitly
    /// (for example on a private network or in a demo). Cannot be combined with <see cref="AuthorizationPolicy"/>.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The largest request body accepted, in bytes; a larger one is refused with 413. Default 1 MiB.</summary>
    public long MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;

    /// <summary>The default largest CSV request body, 256 MiB.</summary>
    public const long DefaultMaxCsvBodySize = 256L * 1024 * 1024;

    /// <summary>
    /// The largest CSV request body accepted (<c>PUT /customers/csv</c>, <c>PUT /journeys/{id}/customers/csv</c>,
    /// <c>POST /sendings/csv</c>), in bytes, multipart framing included; a larger one is refused with 413 before
    /// anything is written. CSV bodies are streamed, not buffered. Default 256 MiB.
    /// </summary>
    public long MaxCsvBodySize { get; set; } = DefaultMaxCsvBodySize;
}
