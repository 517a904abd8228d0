namespace CallCluster.Contracts.Dialogs;

/// <summary>The names clients see for the dialog states OpenSIPS numbers 1..5 (docs/opensips.md §6), and 0 for a
/// dialog this cluster has heard nothing of. CallGet and CallList report these instead of the bare numbers.</summary>
public static class DialogStateNames
{
    public const string Unknown = "unknown";
    public const string Unconfirmed = "unconfirmed";
    public const string Early = "early";
    public const string ConfirmedNotAcked = "confirmed_not_acked";
    public const string Confirmed = "confirmed";
    public const string Ended = "ended";

    public static string Of(int state) => state switch
    {
        1 => Unconfirmed,
        2 => Early,
        3 => ConfirmedNotAcked,
        4 => Confirmed,
        5 => Ended,
        _ => Unknown,
    };
}
