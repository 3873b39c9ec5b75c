namespace Journeys.Runtime;

/// <summary>
/// Wakes this host's engine from outside: a store that learns of work committed by other hosts (PostgreSQL
/// <c>LISTEN/NOTIFY</c>, for instance) calls it so an idle engine looks for work at once instead of at its next timer or
/// <see cref="JourneysOptions.MaxIdle"/>. Calling it when there is nothing to do costs one store query.
/// </summary>
public interface IJourneyEngineSignal
{
    /// <summary>There may be new ready work: enrollments, customer events, timers moved earlier.</summary>
    void NotifyWork();

    /// <summary>There may be new outbox messages to send.</summary>
    void NotifyOutbox();

    /// <summary>
    /// Another host deleted outbox messages (a stop or a deletion that cancelled enrollments, or a commit that converted
    /// one): this host's dispatcher
    /// checks with the store that it still holds the messages it took before now, before it sends them. Does nothing
    /// unless implemented (an engine that never shares its store with another host needs nothing).
    /// </summary>
    void NotifyWithdrawn()
    {
    }

    /// <summary>
    /// Another host saved a journey (a draft, an activation, a stop), or deleted it: this host forgets the versions of it
    /// it compiled (a deleted journey's id may be created again, its version 1 then being another definition), and looks
    /// again for journeys activated before their entry window opened, whose audience enters at its start. Does nothing unless
    /// implemented (an engine that never shares its store with another host needs nothing).
    /// </summary>
    /// <param name="journeyId">The journey.</param>
    void NotifyJourneyChanged(string journeyId)
    {
    }

    /// <summary>
    /// Another host changed the customer field schema, or this host may have missed such news (its store connection
    /// was lost): this host forgets every journey version it compiled. Does nothing unless implemented.
    /// </summary>
    void NotifySchemaChanged()
    {
    }
}
