using System.Security.Cryptography.X509Certificates;
using OrleansDynamo.Protocol.Security;
using Xunit;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>The cluster's certificates: issued for a role, trusted only when the cluster's authority issued them.</summary>
public sealed class ClusterCertificatesTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Fact]
    public void Certificates_written_and_read_back_chain_to_their_authority_only_and_keep_their_role()
    {
        var dir = Directory.CreateTempSubdirectory("od-certs-").FullName;
        try
        {
            var authority = ClusterCertificates.CreateAuthority("dev", Day);
            var other = ClusterCertificates.CreateAuthority("other", Day);
            ClusterCertificates.WritePem(authority, Path.Combine(dir, "ca.pem"), Path.Combine(dir, "ca.key"));
            ClusterCertificates.WritePem(ClusterCertificates.Issue(authority, "silo1", CertificateRole.Silo, ["127.0.0.1"], Day), Path.Combine(dir, "silo1.pem"), Path.Combine(dir, "silo1.key"));
            ClusterCertificates.WritePem(ClusterCertificates.Issue(authority, "app", CertificateRole.Client, [], Day), Path.Combine(dir, "app.pem"), Path.Combine(dir, "app.key"));

            var ca = ClusterCertificates.LoadAuthority(Path.Combine(dir, "ca.pem"));
            var silo = ClusterCertificates.LoadCertificate(Path.Combine(dir, "silo1.pem"), Path.Combine(dir, "silo1.key"));
            var app = ClusterCertificates.LoadCertificate(Path.Combine(dir, "app.pem"), Path.Combine(dir, "app.key"));
            Assert.True(silo.HasPrivateKey);
            // As a peer sees it: the certificate alone, from its bytes.
            var siloSeen = X509CertificateLoader.LoadCertificate(silo.RawData);
            var appSeen = X509CertificateLoader.LoadCertificate(app.RawData);

            Assert.True(ClusterCertificates.IsIssuedBy(siloSeen, ca, CertificateRole.Silo));
            Assert.True(ClusterCertificates.IsIssuedBy(appSeen, ca, CertificateRole.Client));
            Assert.False(ClusterCertificates.IsIssuedBy(appSeen, ca, CertificateRole.Silo));
            Assert.False(ClusterCertificates.IsIssuedBy(siloSeen, other));
            Assert.Equal("silo1", ClusterCertificates.NameOf(siloSeen));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "silo1.key")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_or_wrong_file_is_a_clear_error()
    {
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => ClusterCertificates.LoadCertificate("/nope.pem", "/nope.key")).Message);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => ClusterCertificates.LoadAuthority("/nope.pem")).Message);
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a certificate");
            Assert.Contains("could not load", Assert.Throws<ArgumentException>(() => ClusterCertificates.LoadCertificate(file, file)).Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
