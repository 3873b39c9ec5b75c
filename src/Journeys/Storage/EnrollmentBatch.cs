using System.Collections;
using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// Enrollment requests of one journey version (an activation's audience chunk) kept as columns: the journey's fields
/// once, and per entry only its enrollment id, customer and entry time, instead of an <see cref="EnrollmentRequest"/>
/// record each (~110 B). The in-memory store reads the columns (<see cref="Entry"/>); any other reader of the list gets
/// the requests, built on the first read through the list and then kept, so it sees the same objects every time.
/// </summary>
internal sealed class EnrollmentBatch : IReadOnlyList<EnrollmentRequest>
{
    private readonly Guid[] _ids;
    private readonly string[] _customerIds;
    private readonly DateTimeOffset _firstAt;

    // The entry times when they are not all the first one (an audience scan reads the clock per customer).
    private DateTimeOffset[]? _ats;
    private int _count;
    private EnrollmentRequest[]? _requests;

    /// <summary>A batch of up to <paramref name="capacity"/> entries into <paramref name="journeyId"/> version <paramref name="version"/>.</summary>
    public EnrollmentBatch(string journeyId, int version, string startNodeId, EntryRules rules, EquatableArray<string> wakeEvents, DateTimeOffset firstAt, int capacity)
    {
        JourneyId = journeyId;
        Version = version;
        StartNodeId = startNodeId;
        Rules = rules;
        WakeEvents = wakeEvents;
        _firstAt = firstAt;
        _ids = new Guid[capacity];
        _customerIds = new string[capacity];
    }

    public string JourneyId { get; }

    public int Version { get; }

    public string StartNodeId { get; }

    public EntryRules Rules { get; }

    public EquatableArray<string> WakeEvents { get; }

    /// <inheritdoc />
    public int Count => _count;

    /// <summary>
    /// How many more entries the intake expects to make after this batch (0 when unknown): a hint for a store that grows
    /// its tables, so an activation's audience grows them once instead of through every size on the way.
    /// </summary>
    public int MoreExpected { get; init; }

    /// <summary>
    /// Whether an entry whose enrollment id is already used (by an enrollment, or by an earlier entry of the batch) is
    /// skipped, with outcome <see cref="EnrollmentOutcomeKind.DuplicateActive"/> and that id, instead of the whole batch
    /// being refused. For an intake's ids (<see cref="Runtime.EnrollmentIds.ForIntake"/>), derived from the customer: a
    /// used one means the customer entered through this intake already (a list naming them twice), so the store's id
    /// check is the intake's dedupe. Only the in-memory store reads it; the manager sets it only for that store.
    /// </summary>
    public bool SkipUsedIds { get; init; }

    /// <summary>Whether the requests were built (a reader went through the list). For tests.</summary>
    internal bool RequestsBuilt => _requests is not null;

    /// <summary>Whether the batch holds as many entries as it can.</summary>
    public bool IsFull => _count == _ids.Length;

    /// <summary>The request at <paramref name="index"/> as a record (built for every entry on the first read, then kept).</summary>
    public EnrollmentRequest this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return (Volatile.Read(ref _requests) ?? BuildRequests())[index];
        }
    }

    /// <summary>Adds an entry; the batch must not be full, nor read as requests yet.</summary>
    public void Add(Guid enrollmentId, string customerId, DateTimeOffset at)
    {
        if (_requests is not null || IsFull)
        {
            throw new InvalidOperationException("The enrollment batch is full or already read.");
        }

        if (_ats is null && at != _firstAt)
        {
            _ats = new DateTimeOffset[_ids.Length];
            Array.Fill(_ats, _firstAt, 0, _count);
        }

        _ids[_count] = enrollmentId;
        _customerIds[_count] = customerId;
        if (_ats is not null)
        {
            _ats[_count] = at;
        }

        _count++;
    }

    /// <summary>The enrollment id of the entry at <paramref name="index"/>.</summary>
    public Guid EnrollmentId(int index) => _ids[Checked(index)];

    /// <summary>The customer of the entry at <paramref name="index"/>.</summary>
    public string CustomerId(int index) => _customerIds[Checked(index)];

    /// <summary>The entry time of the entry at <paramref name="index"/>.</summary>
    public DateTimeOffset At(int index) => _ats?[Checked(index)] ?? _firstAt;

    /// <summary>The entry at <paramref name="index"/>'s fields, without building its request.</summary>
    public EntryFields Entry(int index) => new(EnrollmentId(index), JourneyId, Version, CustomerId(index), StartNodeId, At(index), Rules, WakeEvents, null);

    /// <summary>The journey of <paramref name="requests"/>' entry at <paramref name="index"/>, without building a batch's request.</summary>
    public static string JourneyIdOf(IReadOnlyList<EnrollmentRequest> requests, int index) =>
        requests is EnrollmentBatch batch ? batch.JourneyId : requests[index].JourneyId;

    /// <summary>The version of <paramref name="requests"/>' entry at <paramref name="index"/>, without building a batch's request.</summary>
    public static int VersionOf(IReadOnlyList<EnrollmentRequest> requests, int index) =>
        requests is EnrollmentBatch batch ? batch.Version : requests[index].Version;

    /// <summary>The customer of <paramref name="requests"/>' entry at <paramref name="index"/>, without building a batch's request.</summary>
    public static string CustomerIdOf(IReadOnlyList<EnrollmentRequest> requests, int index) =>
        requests is EnrollmentBatch batch ? batch.CustomerId(index) : requests[index].CustomerId;

    /// <inheritdoc />
    public IEnumerator<EnrollmentRequest> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int Checked(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return index;
    }

    // A race of two first reads publishes one array, so every reader sees the same request objects.
    private EnrollmentRequest[] BuildRequests()
    {
        var requests = new EnrollmentRequest[_count];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = new EnrollmentRequest(_ids[i], JourneyId, Version, _customerIds[i], StartNodeId, At(i), Rules, WakeEvents);
        }

        return Interlocked.CompareExchange(ref _requests, requests, null) ?? requests;
    }
}

/// <summary>An enrollment request's fields, read from an <see cref="EnrollmentRequest"/> or from an <see cref="EnrollmentBatch"/>'s columns.</summary>
internal readonly record struct EntryFields(
    Guid EnrollmentId,
    string JourneyId,
    int Version,
    string CustomerId,
    string StartNodeId,
    DateTimeOffset At,
    EntryRules Rules,
    EquatableArray<string> WakeEvents,
    long? EventCursor)
{
    /// <summary>The fields of <paramref name="request"/>.</summary>
    public static EntryFields Of(EnrollmentRequest request) =>
        new(request.EnrollmentId, request.JourneyId, request.Version, request.CustomerId, request.StartNodeId, request.At, request.Rules, request.WakeEvents, request.EventCursor);
}
