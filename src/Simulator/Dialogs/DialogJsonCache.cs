using System.Buffers;
using System.Text.Json;
using CallCluster.Simulator.Mi;

namespace CallCluster.Simulator.Dialogs;

/// <summary>
/// dlg_list entries rendered once per snapshot: a dialog's JSON only changes when its actor publishes a new snapshot, so
/// dlg_list copies bytes instead of formatting every field (and local dates) on every request. Owned by the proxy actor.
/// </summary>
public sealed class DialogJsonCache(string bindAddr)
{
    private readonly Dictionary<long, byte[]> _rendered = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);

    public void Invalidate(long dbId) => _rendered.Remove(dbId);

    public byte[] Get(DialogSnapshot d)
    {
        if (_rendered.TryGetValue(d.Id.DbId, out var bytes)) return bytes;
        _buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_buffer, MiReplyWriter.Options))
        {
            DialogJson.Write(w, d, bindAddr);
        }
        bytes = _buffer.WrittenSpan.ToArray();
        _rendered[d.Id.DbId] = bytes;
        return bytes;
    }
}
