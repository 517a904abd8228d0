using System.Globalization;
using Akka.Actor;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Admin;

namespace CallCluster.Node.Admin;

/// <summary><c>commands show &lt;cmd_id&gt;</c>: a command's method, status and every notification it sent.</summary>
public sealed class CommandsPalette(IActorRef commandRegion, TimeSpan askTimeout) : IAdminPalette
{
    private static readonly IReadOnlyList<string> Columns = ["seq", "kind", "data", "callid", "leg", "status", "error"];

    public string Name => "commands";

    public string Description => "Call API commands: show <cmd_id>";

    public IReadOnlyList<AdminVerb> Verbs { get; } = [new("show", "<cmd_id>", "a command's notifications so far", 1, 1)];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        var answer = await commandRegion.Ask<ICommandMessage>(new GetCommand(command.Args[0]), askTimeout, ct).ConfigureAwait(false);
        if (answer is not CommandSnapshot snapshot)
        {
            return AdminResult.Failed(answer is CommandRejected r ? $"{r.Message}: {r.Data}" : "unexpected answer " + answer.GetType().Name);
        }

        var rows = snapshot.Notifications.Select(n => (IReadOnlyList<string>)
        [
            n.Seq.ToString(CultureInfo.InvariantCulture), n.Kind.ToString(), n.Data ?? "", n.CallId ?? "", n.Leg ?? "",
            n.Status ?? "", n.Error is null ? "" : $"{n.Error.Code} {n.Error.Message}",
        ]).ToList();
        var parameters = string.Join(", ", snapshot.Params.Select(p => $"{p.Key}={p.Value}"));
        return AdminResult.Ok(Columns, rows, $"{snapshot.CmdId} {snapshot.Method}({parameters}) {snapshot.Status}");
    }
}
