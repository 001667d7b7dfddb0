using CriShim.Errors;
using CriShim.Containers;
using CriShim.Cri;
using Grpc.Core;

namespace CriShim.Tests.Unit.Containers;

public class ImageVolumeSubPathTests
{
    [TestCase(null, null)]
    [TestCase("", null)]
    [TestCase(".", null)]
    [TestCase("data", "data")]
    [TestCase("./data//old/", "data/old")]
    public void A_sub_path_is_cleaned_to_a_relative_path(string? subPath, string? expected) =>
        Assert.That(ImageVolumes.CleanSubPath(subPath, "/vol"), Is.EqualTo(expected));

    [TestCase("/etc")]
    [TestCase("..")]
    [TestCase("data/../../etc")]
    public void A_sub_path_that_could_leave_the_image_is_invalid(string subPath)
    {
        var e = Assert.Throws<DomainException>(() => ImageVolumes.CleanSubPath(subPath, "/vol"))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.InvalidArgument));
        Assert.That(e.Message, Does.Contain("image_sub_path").And.Contain(subPath).And.Contain("/vol"));
    }
}
