using System.Text.Json;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// sim_stats (simulator-only): what the proxy holds right now, so a soak run can prove nothing leaked.
/// Dialogs = not ended; EndedDialogs = ended but kept for ended-dialog-retention; Transactions = open INVITE / re-INVITE
/// transactions plus t_uac_dlg replies still due; DialogActors = dialog actors alive (stopped ones leave asynchronously).
/// </summary>
public sealed record SimStats(int Dialogs, int EndedDialogs, int Transactions, int Phones, int DialogActors, int TransferMarks)
{
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("dialogs"u8, Dialogs);
        w.WriteNumber("ended_dialogs"u8, EndedDialogs);
        w.WriteNumber("transactions"u8, Transactions);
        w.WriteNumber("phones"u8, Phones);
        w.WriteNumber("dialog_actors"u8, DialogActors);
        w.WriteNumber("transfer_marks"u8, TransferMarks);
        w.WriteEndObject();
    }
}
