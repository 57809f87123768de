namespace ShoppingCart;

public static class Program
{
    public static void Main(string[] args) => CartApp.Build(args).Run();
}
