using System.Collections.Immutable;
using OrleansDynamo.Core.DataTypes;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>One step of a simulated history of one typed key on a few replicas.</summary>
public abstract record DtStep;

/// <summary>
/// Client <paramref name="Client"/> sends <paramref name="Operation"/> to replica <paramref name="Replica"/>, which
/// applies it as coordinator under its own actor. Removes carry the context the client last read, or none when
/// <paramref name="Blind"/> (or when the client has read nothing yet).
/// </summary>
public sealed record DtOp(int Client, int Replica, bool Blind, DataTypeOperation Operation) : DtStep
{
    public override string ToString() => $"Op(c{Client}->r{Replica}{(Blind ? ",blind" : "")}: {Operation})";
}

/// <summary>Client <paramref name="Client"/> reads replica <paramref name="Replica"/>'s context (through the context codec).</summary>
public sealed record DtRead(int Client, int Replica) : DtStep
{
    public override string ToString() => $"Read(c{Client}<-r{Replica})";
}

/// <summary>Replica <paramref name="To"/> merges replica <paramref name="From"/>'s state (through the codec when <paramref name="ViaCodec"/>).</summary>
public sealed record DtSync(int From, int To, bool ViaCodec) : DtStep
{
    public override string ToString() => $"Sync(r{From}->r{To}{(ViaCodec ? ",codec" : "")})";
}

/// <summary>A random history of one typed key: its type, replicas, clients and steps.</summary>
public sealed record DtHistory(DataTypeKind Kind, int Replicas, int Clients, ImmutableArray<DtStep> Steps)
{
    public override string ToString() => $"DtHistory({DataTypeNames.Of(Kind)}, replicas={Replicas}, clients={Clients}: {string.Join(" ", Steps)})";
}

/// <summary>A history and three picks among the states it made.</summary>
public sealed record DtTriple(DtHistory History, int A, int B, int C)
{
    public override string ToString() => $"DtTriple(picks {A},{B},{C} of {History})";
}
