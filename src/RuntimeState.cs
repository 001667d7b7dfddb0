namespace CriShim;

/// <summary>Node-level runtime settings kubelet pushes through UpdateRuntimeConfig.</summary>
public sealed class RuntimeState
{
    volatile string _podCidr = "";
    public string PodCidr { get => _podCidr; set => _podCidr = value; }
}
