namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// An operation on a data type was refused: bad input (a name too long, too many items, a field operation of the
/// wrong type, a counter pushed past ±2^53). Nothing was changed; the message names the field or element.
/// </summary>
public sealed class DataTypeOperationException(string message) : ArgumentException(message);
