using CriShim.Oci.Specs;
using System.Runtime.InteropServices;
using CriShim.Oci.Specs.Seccomp;

namespace CriShim.Tests.Unit.Oci;

public class SeccompProfilesTests
{
    private static IEnumerable<string> Denied(IEnumerable<string> caps) =>
        SeccompProfiles.RuntimeDefault(caps).Syscalls!.Where(s => s.Args is null).SelectMany(s => s.Names);

    [Test]
    public void Runtime_default_denies_mount_unshare_and_module_loading_for_default_capabilities()
    {
        var profile = SeccompProfiles.RuntimeDefault(OciDefaults.Capabilities);
        Assert.That(profile.DefaultAction, Is.EqualTo("SCMP_ACT_ALLOW"));
        Assert.That(Denied(OciDefaults.Capabilities), Does.Contain("mount").And.Contain("unshare").And.Contain("setns")
            .And.Contain("init_module").And.Contain("keyctl").And.Contain("bpf").And.Contain("reboot"));
        Assert.That(profile.Syscalls!.Where(s => s.Action == "SCMP_ACT_ERRNO").All(s => s.ErrnoRet is 1 or 38), Is.True);
        Assert.That(profile.Architectures, Does.Contain(RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "SCMP_ARCH_AARCH64" : "SCMP_ARCH_X86_64"),
            "the filter covers this machine's native ABI");
    }

    [Test]
    public void Runtime_default_denies_clone_only_with_namespace_flags()
    {
        var clone = SeccompProfiles.RuntimeDefault(OciDefaults.Capabilities).Syscalls!.Where(s => s.Names.Contains("clone")).ToList();
        Assert.That(clone, Has.Count.EqualTo(7));
        Assert.That(clone.Select(c => c.Args!.Single()), Has.All.Matches<CriShim.Oci.Specs.Model.LinuxSeccompArg>(a =>
            a.Op == "SCMP_CMP_MASKED_EQ" && a.Value == a.ValueTwo && a.Index == 0));
        Assert.That(clone.Any(c => c.Args![0].Value == 0x10000000), Is.True, "CLONE_NEWUSER");
    }

    [Test]
    public void Granted_capabilities_lift_the_matching_rules()
    {
        var withAdmin = Denied([.. OciDefaults.Capabilities, "CAP_SYS_ADMIN", "CAP_SYS_TIME"]).ToList();
        Assert.That(withAdmin, Does.Not.Contain("mount").And.Not.Contain("unshare").And.Not.Contain("clock_settime"));
        Assert.That(withAdmin, Does.Contain("init_module").And.Contain("keyctl"));
    }

    [Test]
    public void Everyday_calls_are_not_denied()
    {
        Assert.That(Denied(OciDefaults.Capabilities), Does.Not.Contain("execve").And.Not.Contain("chroot").And.Not.Contain("ptrace")
            .And.Not.Contain("sethostname").And.Not.Contain("socket"));
    }

    [Test]
    public void A_missing_localhost_profile_is_a_clear_error()
    {
        Assert.That(() => SeccompProfiles.LoadLocalhost("/nonexistent/profile.json"),
            Throws.TypeOf<SpecException>().With.Message.Contains("/nonexistent/profile.json").And.Message.Contains("does not exist"));
        Assert.That(() => SeccompProfiles.LoadLocalhost("relative.json"), Throws.TypeOf<SpecException>().With.Message.Contains("absolute"));
    }

    [Test]
    public void A_localhost_profile_in_oci_form_is_loaded()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.json", """{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}""");
        var profile = SeccompProfiles.LoadLocalhost(path);
        Assert.That(profile.DefaultAction, Is.EqualTo("SCMP_ACT_ERRNO"));
        Assert.That(profile.Syscalls!.Single().Names, Is.EqualTo(new[] { "read", "write" }));
    }

    [Test]
    public void A_localhost_profile_in_docker_form_takes_the_host_architectures_from_its_arch_map()
    {
        using var dir = new TempDir();
        var host = SeccompProfiles.HostArchitectures()[0];
        var path = dir.Write("d.json", $$"""{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"{{host}}","subArchitectures":["X"]},{"architecture":"OTHER"}],"syscalls":[]}""");
        Assert.That(SeccompProfiles.LoadLocalhost(path).Architectures, Is.EqualTo(new[] { host, "X" }));
    }

    [Test]
    public void A_localhost_profile_that_is_not_json_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", "not json");
        Assert.That(() => SeccompProfiles.LoadLocalhost(path), Throws.TypeOf<SpecException>().With.Message.Contains("not a valid profile"));
    }
}
