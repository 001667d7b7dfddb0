using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>One pure step of spec building: takes a spec and returns the changed copy.</summary>
public delegate Spec SpecOption(Spec spec);

/// <summary>Applies spec options in order.</summary>
public static class SpecBuilder
{
    public static Spec Build(IEnumerable<SpecOption> options, Spec? seed = null) =>
        options.Aggregate(seed ?? Spec.Empty, (spec, option) => option(spec));
}
