using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace CallCluster.Node.Mailboxes;

/// <summary>The mailbox type of <see cref="SingleConsumerMessageQueue"/>, named in HOCON as
/// <c>mailbox-type = "CallCluster.Node.Mailboxes.SingleConsumerMailbox, CallCluster.Node"</c> (hocon/node.conf,
/// <c>callcluster.dialog-mailbox</c>). Akka builds it from that line with this constructor.</summary>
public sealed class SingleConsumerMailbox(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<SingleConsumerMessageQueue>
{
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SingleConsumerMessageQueue();
}
