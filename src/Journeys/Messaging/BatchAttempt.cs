namespace Journeys.Messaging;

/// <summary>What one call of a batch sender came back with: how many messages it was given and how many of them failed transiently.</summary>
/// <param name="Attempted">The messages of the call.</param>
/// <param name="Transient">Those whose result was a transient failure (the ones a retry sends again).</param>
internal readonly record struct BatchAttempt(int Attempted, int Transient)
{
    /// <summary>Every message of the call failed transiently: the provider itself is failing, as the circuit breaker counts it.</summary>
    public bool AllTransient => Transient == Attempted && Attempted > 0;
}
