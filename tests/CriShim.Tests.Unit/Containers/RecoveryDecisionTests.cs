using CriShim.Containers;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Stores;

namespace CriShim.Tests.Unit.Containers;

public class RecoveryDecisionTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero);

    static ContainerRecord Container(ContainerRunState state, bool complete = true) => new()
    {
        Id = "c1", PodId = "p1", Name = "app", Config = [], ImageRef = "busybox", ImageId = "sha256:1",
        BundleDir = "/b", RootfsDir = "/r", State = state, Complete = complete,
    };

    static RuncState Runtime(string status) => new("c1", status, 42, Now, "/b", new Dictionary<string, string>());

    static PodRecord Pod(PodState state, bool complete = true, string? netns = "/run/netns/p1") => new()
    {
        Id = "p1", Name = "n", Namespace = "ns", Uid = "u", Config = [], RuntimeHandler = "runc", PodDir = "/p",
        State = state, Complete = complete, NetNsPath = netns,
    };

    // From the record alone.

    [TestCase(ContainerRunState.Created)]
    [TestCase(ContainerRunState.Running)]
    [TestCase(ContainerRunState.Exited)]
    public void AHalfCreatedContainer_IsTornDown_WhateverItsState(ContainerRunState state) =>
        Assert.That(RecoveryDecision.ForRecord(Container(state, complete: false), podExists: true).Action, Is.EqualTo(ContainerRecoveryAction.TearDown));

    [Test]
    public void AContainerWhosePodIsGone_IsTornDown() =>
        Assert.That(RecoveryDecision.ForRecord(Container(ContainerRunState.Running), podExists: false).Action, Is.EqualTo(ContainerRecoveryAction.TearDown));

    [Test]
    public void AnExitedContainer_IsKept_WithoutAskingConmonOrTheRuntime() =>
        Assert.That(RecoveryDecision.ForRecord(Container(ContainerRunState.Exited), podExists: true).Action, Is.EqualTo(ContainerRecoveryAction.Keep));

    [TestCase(ContainerRunState.Created)]
    [TestCase(ContainerRunState.Running)]
    [TestCase(ContainerRunState.Unknown)]
    public void ACompleteContainerNotExited_HasItsExitFileRead(ContainerRunState state) =>
        Assert.That(RecoveryDecision.ForRecord(Container(state), podExists: true).Action, Is.EqualTo(ContainerRecoveryAction.ReadExitFile));

    // From conmon's exit file and the handler.

    [Test]
    public void AnExitFile_IsRecordedAsItIs_EvenWhenTheHandlerIsUnusable()
    {
        var exit = new ContainerExit("c1", 137, Now, OomKilled: true);
        var decision = RecoveryDecision.ForMonitor(exit, "runsc", "binary /usr/bin/runsc not found");
        Assert.That(decision.Action, Is.EqualTo(ContainerRecoveryAction.RecordExit));
        Assert.That(decision.Exit, Is.SameAs(exit));
    }

    [Test]
    public void NoExitFileAndAnUnusableHandler_IsUnknown_NamingTheHandlerAndItsProblem()
    {
        var decision = RecoveryDecision.ForMonitor(null, "runsc", "binary /usr/bin/runsc not found");
        Assert.That(decision.Action, Is.EqualTo(ContainerRecoveryAction.Unknown));
        Assert.That(decision.Problem, Is.EqualTo("runtime handler \"runsc\": binary /usr/bin/runsc not found"));
        Assert.That(decision.Exit, Is.Null);
    }

    [Test]
    public void NoExitFileAndAUsableHandler_AsksTheRuntime() =>
        Assert.That(RecoveryDecision.ForMonitor(null, "runc", null).Action, Is.EqualTo(ContainerRecoveryAction.AskRuntime));

    // From the runtime's state.

    [TestCase(ContainerRunState.Created)]
    [TestCase(ContainerRunState.Running)]
    [TestCase(ContainerRunState.Unknown)]
    public void AContainerTheRuntimeDoesNotKnow_ExitedWith255_Now(ContainerRunState state)
    {
        var decision = RecoveryDecision.ForRuntime(Container(state), null, Now);
        Assert.That(decision.Action, Is.EqualTo(ContainerRecoveryAction.RecordExit));
        Assert.That(decision.Exit, Is.EqualTo(new ContainerExit("c1", 255, Now)));
    }

    [Test]
    public void AContainerTheRuntimeHoldsStopped_ExitedWith255_Now()
    {
        var decision = RecoveryDecision.ForRuntime(Container(ContainerRunState.Running), Runtime("stopped"), Now);
        Assert.That(decision.Action, Is.EqualTo(ContainerRecoveryAction.RecordExit));
        Assert.That(decision.Exit, Is.EqualTo(new ContainerExit("c1", 255, Now)));
    }

    [TestCase(ContainerRunState.Unknown, ContainerRecoveryAction.MarkCreated)]
    [TestCase(ContainerRunState.Created, ContainerRecoveryAction.Keep)]
    [TestCase(ContainerRunState.Running, ContainerRecoveryAction.Keep)]
    public void ACreatedRuntimeContainer_TurnsAnUnknownRecordCreated_AndLeavesOthers(ContainerRunState state, ContainerRecoveryAction expected) =>
        Assert.That(RecoveryDecision.ForRuntime(Container(state), Runtime("created"), Now).Action, Is.EqualTo(expected));

    [TestCase("running", ContainerRunState.Created, ContainerRecoveryAction.MarkRunning)]
    [TestCase("running", ContainerRunState.Unknown, ContainerRecoveryAction.MarkRunning)]
    [TestCase("running", ContainerRunState.Running, ContainerRecoveryAction.Keep)]
    [TestCase("paused", ContainerRunState.Created, ContainerRecoveryAction.MarkRunning)]
    [TestCase("paused", ContainerRunState.Running, ContainerRecoveryAction.Keep)]
    public void ARunningOrPausedRuntimeContainer_TurnsACreatedOrUnknownRecordRunning(string status, ContainerRunState state, ContainerRecoveryAction expected) =>
        Assert.That(RecoveryDecision.ForRuntime(Container(state), Runtime(status), Now).Action, Is.EqualTo(expected));

    // The record changes.

    [Test]
    public void MarkedCreated_ClearsTheReasonAndMessage()
    {
        var r = RecoveryDecision.MarkedCreated(Container(ContainerRunState.Unknown) with { Reason = "RecoveryFailed", Message = "m" });
        Assert.That((r.State, r.Reason, r.Message), Is.EqualTo((ContainerRunState.Created, "", "")));
    }

    [Test]
    public void MarkedRunning_KeepsAKnownStartTime_AndFillsAMissingOne()
    {
        var started = Now.AddMinutes(-5);
        var known = RecoveryDecision.MarkedRunning(Container(ContainerRunState.Unknown) with { StartedAt = started, Reason = "RecoveryFailed", Message = "m" }, Now);
        Assert.That((known.State, known.StartedAt, known.Reason, known.Message), Is.EqualTo((ContainerRunState.Running, (DateTimeOffset?)started, "", "")));
        Assert.That(RecoveryDecision.MarkedRunning(Container(ContainerRunState.Created), Now).StartedAt, Is.EqualTo(Now));
    }

    [TestCase(ContainerRunState.Created)]
    [TestCase(ContainerRunState.Running)]
    public void MarkedUnknown_SaysWhy(ContainerRunState state)
    {
        var r = RecoveryDecision.MarkedUnknown(Container(state), "runc state timed out");
        Assert.That(r.State, Is.EqualTo(ContainerRunState.Unknown));
        Assert.That(r.Reason, Is.EqualTo("RecoveryFailed"));
        Assert.That(r.Message, Is.EqualTo("state after the daemon restart is unknown: runc state timed out"));
    }

    [Test]
    public void MarkedUnknown_LeavesAnExitedRecordAlone()
    {
        var exited = Container(ContainerRunState.Exited) with { ExitCode = 3, Reason = "Error" };
        Assert.That(RecoveryDecision.MarkedUnknown(exited, "x"), Is.SameAs(exited));
    }

    // Pods.

    [TestCase(PodState.Ready)]
    [TestCase(PodState.NotReady)]
    public void AHalfCreatedPod_IsTornDown(PodState state) =>
        Assert.That(RecoveryDecision.ForPod(Pod(state, complete: false), _ => true), Is.EqualTo(PodRecoveryAction.TearDown));

    [Test]
    public void AReadyPodWhoseNetworkNamespaceIsGone_BecomesNotReady()
    {
        var asked = new List<string>();
        Assert.That(RecoveryDecision.ForPod(Pod(PodState.Ready), p => { asked.Add(p); return false; }), Is.EqualTo(PodRecoveryAction.MarkNotReady));
        Assert.That(asked, Is.EqualTo(new[] { "/run/netns/p1" }));
    }

    [Test]
    public void AReadyPodWhoseNetworkNamespaceIsThere_IsKept() =>
        Assert.That(RecoveryDecision.ForPod(Pod(PodState.Ready), _ => true), Is.EqualTo(PodRecoveryAction.Keep));

    [Test]
    public void AReadyPodOnTheHostNetwork_IsKept_WithoutLookingForANamespace() =>
        Assert.That(RecoveryDecision.ForPod(Pod(PodState.Ready, netns: null), _ => throw new AssertionException("asked")), Is.EqualTo(PodRecoveryAction.Keep));

    [Test]
    public void ANotReadyPod_IsKept_WithoutLookingForItsNamespace() =>
        Assert.That(RecoveryDecision.ForPod(Pod(PodState.NotReady), _ => throw new AssertionException("asked")), Is.EqualTo(PodRecoveryAction.Keep));
}
