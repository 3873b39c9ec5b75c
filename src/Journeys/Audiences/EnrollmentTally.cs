using System.Runtime.ExceptionServices;
using Journeys.Storage;

namespace Journeys.Audiences;

/// <summary>Counts the outcomes of list entries and keeps the first customers that were not enrolled.</summary>
internal sealed class EnrollmentTally
{
    private const int Kept = 100;
    private readonly List<NotEnrolledCustomer> _notEnrolled = [];

    public int Enrolled { get; private set; }

    public int NotEnrolledCount { get; private set; }

    public IReadOnlyList<NotEnrolledCustomer> NotEnrolled => _notEnrolled;

    /// <summary>
    /// The refusal of the list's journey (stopped or deleted during the call), kept so that the customers already written still
    /// enter the all-customers and filter journeys before it is thrown (<see cref="ThrowIfRefused"/>).
    /// </summary>
    public ExceptionDispatchInfo? Refused { get; private set; }

    public void AddOther(int enrolled) => Enrolled += enrolled;

    public void Refuse(Exception refusal) => Refused ??= ExceptionDispatchInfo.Capture(refusal);

    public void ThrowIfRefused() => Refused?.Throw();

    public void Add(IReadOnlyList<string> ids, IReadOnlyList<EnrollmentOutcome> outcomes)
    {
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i].Kind == EnrollmentOutcomeKind.Created)
            {
                Enrolled++;
                continue;
            }

            NotEnrolledCount++;
            if (_notEnrolled.Count < Kept)
            {
                _notEnrolled.Add(new NotEnrolledCustomer(ids[i], outcomes[i].Kind));
            }
        }
    }
}
