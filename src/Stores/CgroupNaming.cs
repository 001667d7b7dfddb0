namespace CriShim.Stores;

/// <summary>The cgroup each runtime container of a pod gets (cgroupfs driver), for the managers, stats and updates alike.</summary>
public static class CgroupNaming
{
    /// <summary>kubelet's cgroup parent plus the container ID, or /crishim/ID without a parent. A pod's infra uses the pod ID.</summary>
    public static string For(PodRecord pod, string containerId) =>
        (string.IsNullOrEmpty(pod.CgroupParent) ? "/crishim" : pod.CgroupParent.TrimEnd('/')) + "/" + containerId;
}
