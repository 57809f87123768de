using OrleansDynamo;
using OrleansDynamo.Client;
using OrleansDynamo.Client.DataTypes;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;

namespace ShoppingCart;

/// <summary>What a cart endpoint answers: the cart's id and its items, sorted.</summary>
public sealed record CartView(string Cart, IReadOnlyList<string> Items);

/// <summary>What POST /carts/{cart}/items takes.</summary>
public sealed record AddItem(string Item);

/// <summary>
/// A shopping cart service on OrleansDynamo: each cart is one key of a <c>set</c> bucket (default <c>carts</c>), its
/// members the items. Adds never conflict (two devices adding at once both win); a remove removes what the read before
/// it saw, so an item added meanwhile elsewhere stays. Configuration: <c>Dynamo:Seeds</c> (silo gRPC addresses),
/// <c>Dynamo:ApiKey</c>, <c>Cart:Bucket</c>, and <c>Cart:CreateBucket</c> with <c>Cart:N/R/W</c> to create the bucket at start.
/// </summary>
public static class CartApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddDynamoClient(o =>
        {
            var dynamo = builder.Configuration.GetSection("Dynamo");
            o.Seeds = dynamo.GetSection("Seeds").Get<string[]>()?.ToList() ?? ["http://127.0.0.1:11111"];
            o.ApiKey = string.IsNullOrEmpty(dynamo["ApiKey"]) ? null : dynamo["ApiKey"];
        });
        var app = builder.Build();
        string bucket = app.Configuration["Cart:Bucket"] ?? "carts";
        var carts = app.Services.GetRequiredService<DynamoClient>().Sets(bucket);

        // The store's refusals as JSON: an unknown bucket or bad input 400, anything else (no quorum, no silo) 503.
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (DynamoException e) when (!http.Response.HasStarted)
            {
                int status = e.Kind is DynamoErrorKind.InvalidArgument or DynamoErrorKind.NotFound ? 400 : 503;
                await Results.Json(new { error = e.Message }, statusCode: status).ExecuteAsync(http);
            }
        });

        app.MapGet("/carts/{cart}", async (string cart, CancellationToken ct) => View(cart, await carts.GetAsync(cart, null, ct)));

        app.MapPost("/carts/{cart}/items", async (string cart, AddItem body, CancellationToken ct) =>
            string.IsNullOrWhiteSpace(body.Item)
                ? Results.BadRequest(new { error = "give an item: {\"item\": \"apple\"}" })
                : Results.Ok(View(cart, await carts.AddAsync(cart, [body.Item], null, ct))));

        app.MapDelete("/carts/{cart}/items/{item}", async (string cart, string item, CancellationToken ct) =>
        {
            // Remove what this read saw: an add of the same item elsewhere, after the read, survives.
            var read = await carts.GetAsync(cart, null, ct);
            return View(cart, await carts.RemoveAsync(cart, [item], read.Context, null, ct));
        });

        app.MapDelete("/carts/{cart}", async (string cart, CancellationToken ct) =>
        {
            var read = await carts.GetAsync(cart, null, ct);
            if (read.Found) await carts.DeleteAsync(cart, read.Context, null, ct);
            return Results.NoContent();
        });

        if (app.Configuration.GetValue("Cart:CreateBucket", true))
            app.Lifetime.ApplicationStarted.Register(() => _ = CreateBucketAsync(app, bucket));
        return app;
    }

    /// <summary>Creates the set bucket at start (an admin key is needed when the cluster requires keys); an existing one is kept.</summary>
    public static async Task CreateBucketAsync(WebApplication app, string bucket)
    {
        var log = app.Logger;
        var settings = new BucketSettings(bucket, app.Configuration.GetValue("Cart:N", 1), app.Configuration.GetValue("Cart:R", 1),
            app.Configuration.GetValue("Cart:W", 1), ConflictPolicy.Set, MaxValueBytes: app.Configuration.GetValue("Cart:MaxValueBytes", 64 * 1024));
        try
        {
            await app.Services.GetRequiredService<DynamoClient>().CreateBucketAsync(settings, app.Lifetime.ApplicationStopping);
            log.LogInformation("Bucket {Bucket} (type set, N={N}) is ready", bucket, settings.N);
        }
        catch (DynamoException e) when (e.Kind is DynamoErrorKind.FailedPrecondition or DynamoErrorKind.PermissionDenied)
        {
            log.LogWarning("Bucket {Bucket} was not created ({Reason}); the carts use it as it is", bucket, e.Message);
        }
        catch (DynamoException e)
        {
            log.LogError("Could not create bucket {Bucket}: {Reason}. Is the silo running (Dynamo:Seeds)?", bucket, e.Message);
        }
    }

    private static CartView View(string cart, DataTypeResult result) => new(cart, [.. result.Members.Order(StringComparer.Ordinal)]);
}
