using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansDynamo.Protocol.Security;

/// <summary>What a certificate issued by a cluster's authority may do.</summary>
public enum CertificateRole
{
    /// <summary>A silo: serves (server authentication) and calls other silos (client authentication).</summary>
    Silo,
    /// <summary>A client: calls silos only (client authentication).</summary>
    Client,
}

/// <summary>
/// The cluster's certificates: loading them from PEM (or PKCS#12) files, checking that a peer's certificate was issued
/// by the cluster's authority, and creating an authority with silo and client certificates (<c>dynamo cert</c>, tests).
/// A cluster trusts its own authority only, never the machine's root store.
/// </summary>
public static class ClusterCertificates
{
    /// <summary>
    /// A certificate with its private key: a PEM certificate and a PEM key file, or a PKCS#12 file (.pfx, .p12) alone.
    /// </summary>
    /// <exception cref="ArgumentException">A file is missing or does not hold what it should; the message names it.</exception>
    public static X509Certificate2 LoadCertificate(string certificateFile, string? keyFile)
    {
        if (!File.Exists(certificateFile)) throw new ArgumentException($"certificate file '{certificateFile}' does not exist");
        try
        {
            if (string.IsNullOrEmpty(keyFile))
            {
                var pfx = X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password: null);
                return pfx.HasPrivateKey ? pfx : throw new ArgumentException($"'{certificateFile}' holds no private key; name the key file too");
            }
            if (!File.Exists(keyFile)) throw new ArgumentException($"key file '{keyFile}' does not exist");
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"could not load the certificate '{certificateFile}'{(keyFile is null ? "" : $" with key '{keyFile}'")}: {e.Message}", e);
        }
    }

    /// <summary>The cluster's authority (a PEM certificate; its key is not needed to check certificates).</summary>
    public static X509Certificate2 LoadAuthority(string authorityFile)
    {
        if (!File.Exists(authorityFile)) throw new ArgumentException($"authority file '{authorityFile}' does not exist");
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(authorityFile);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"could not load the authority certificate '{authorityFile}': {e.Message}", e);
        }
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to <paramref name="authority"/> alone (not the machine's roots),
    /// is within its validity period, and, when <paramref name="role"/> is given, was issued for that role.
    /// Host names are not checked: silos call each other by address, and every certificate of the authority is the cluster's.
    /// </summary>
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 authority, CertificateRole? role = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(certificate)) return false;
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span)) return false;
        return role is null || RoleOf(certificate) == role;
    }

    /// <summary>The role a certificate was issued for: server authentication makes a silo certificate.</summary>
    public static CertificateRole RoleOf(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                foreach (var oid in usage.EnhancedKeyUsages)
                    if (oid.Value == ServerAuthentication) return CertificateRole.Silo;
            }
        }
        return CertificateRole.Client;
    }

    /// <summary>The name a certificate was issued to (its common name).</summary>
    public static string NameOf(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>A new authority for cluster <paramref name="cluster"/> (ECDSA P-256), valid for <paramref name="validity"/>.</summary>
    public static X509Certificate2 CreateAuthority(string cluster, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=OrleansDynamo cluster {cluster} CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now + validity);
    }

    /// <summary>
    /// A certificate named <paramref name="name"/> for <paramref name="role"/>, signed by <paramref name="authority"/>
    /// (which must hold its key), valid for the host names and addresses in <paramref name="hosts"/>.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, string name, CertificateRole role, IEnumerable<string> hosts, TimeSpan validity)
    {
        if (!authority.HasPrivateKey) throw new ArgumentException("the authority's private key is needed to issue certificates");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        var usages = new OidCollection { new Oid(ClientAuthentication) };
        if (role == CertificateRole.Silo) usages.Add(new Oid(ServerAuthentication));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
            else names.AddDnsName(host);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + validity < authority.NotAfter ? now + validity : new DateTimeOffset(authority.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(authority, now.AddMinutes(-5), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate (PEM) and, when given a file for it, its private key (PEM, PKCS#8; readable by the owner only).</summary>
    public static void WritePem(X509Certificate2 certificate, string certificateFile, string? keyFile)
    {
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        if (keyFile is null) return;
        using var key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException("the certificate holds no private key to write");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
}
