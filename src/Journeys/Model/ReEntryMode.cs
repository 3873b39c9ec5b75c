namespace Journeys.Model;

/// <summary>When a customer who was in the journey before may enter it again.</summary>
public enum ReEntryMode
{
    /// <summary>Never: one enrollment per customer, ever.</summary>
    Never = 0,

    /// <summary>Again once their previous enrollment has ended.</summary>
    AfterExit = 1,

    /// <summary>Again once their previous enrollment has ended and the cooldown has passed since.</summary>
    AfterCooldown = 2,
}
