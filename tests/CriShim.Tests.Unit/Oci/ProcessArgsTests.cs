using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class ProcessArgsTests
{
    private static readonly ImageDefaults Image = new() { Entrypoint = ["/entry"], Cmd = ["image-cmd"] };

    // command, args -> expected (Kubernetes "Define a Command and Arguments" table).
    [TestCase(new string[0], new string[0], new[] { "/entry", "image-cmd" })]
    [TestCase(new[] { "/cmd" }, new string[0], new[] { "/cmd" })]
    [TestCase(new string[0], new[] { "arg" }, new[] { "/entry", "arg" })]
    [TestCase(new[] { "/cmd" }, new[] { "arg" }, new[] { "/cmd", "arg" })]
    public void Command_and_args_merge_with_the_image_the_kubernetes_way(string[] command, string[] args, string[] expected)
    {
        Assert.That(ProcessArgs.Merge(command, args, Image), Is.EqualTo(expected));
    }

    [Test]
    public void An_image_without_entrypoint_runs_its_cmd_or_the_cri_args()
    {
        var image = new ImageDefaults { Cmd = ["sh"] };
        Assert.That(ProcessArgs.Merge([], [], image), Is.EqualTo(new[] { "sh" }));
        Assert.That(ProcessArgs.Merge([], ["top"], image), Is.EqualTo(new[] { "top" }));
    }

    [Test]
    public void Nothing_to_run_is_an_error()
    {
        Assert.That(() => ProcessArgs.Merge([], [], ImageDefaults.None), Throws.TypeOf<SpecException>().With.Message.Contains("no command"));
    }

    [Test]
    public void Cri_env_overrides_image_env_by_key_in_place_and_appends_new_keys()
    {
        var env = ProcessArgs.MergeEnv(["PATH=/bin", "A=image", "B=image"], [KeyValuePair.Create("A", "cri"), KeyValuePair.Create("C", "x=y")]);
        Assert.That(env, Is.EqualTo(new[] { "PATH=/bin", "A=cri", "B=image", "C=x=y" }));
    }

    [Test]
    public void Env_names_with_equals_are_refused()
    {
        Assert.Throws<SpecException>(() => ProcessArgs.MergeEnv([], [KeyValuePair.Create("A=B", "1")]));
    }
}
