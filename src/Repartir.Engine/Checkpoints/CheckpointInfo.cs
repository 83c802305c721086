namespace Repartir.Checkpoints;

/// <summary>One saved version of a named checkpoint.</summary>
/// <param name="Name">The checkpoint's name.</param>
/// <param name="Version">Its version: 1 for the first save under the name, one more for each save after.</param>
/// <param name="Created">When it was saved (UTC).</param>
/// <param name="Iteration">The iteration the caller gave (an epoch, a batch number), if any.</param>
/// <param name="Size">The payload's size in bytes.</param>
/// <param name="Sha256">The payload's SHA-256, lowercase hex; checked on every restore.</param>
/// <param name="Store">The store's directory.</param>
public sealed record CheckpointInfo(string Name, long Version, DateTimeOffset Created, long? Iteration, long Size, string Sha256, string Store);
