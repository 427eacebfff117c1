namespace Pipeline.Core.Expressions;

/// <summary>A node of a parsed expression. <see cref="Start"/> and <see cref="End"/> are offsets in the text (End
/// exclusive), so errors point at the node and quote its source.</summary>
internal abstract record Syntax(int Start, int End);

internal sealed record LiteralSyntax(int Start, int End, object? Value, ValueKind Kind) : Syntax(Start, End);

internal sealed record NameSyntax(int Start, int End, string Name, bool Quoted) : Syntax(Start, End);

internal enum UnaryOperator
{
    Negate,
    Plus,
    Not,
}

internal sealed record UnarySyntax(int Start, int End, UnaryOperator Operator, Syntax Operand) : Syntax(Start, End);

internal enum BinaryOperator
{
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Concat,
}

internal sealed record BinarySyntax(int Start, int End, BinaryOperator Operator, int OperatorStart, Syntax Left, Syntax Right)
    : Syntax(Start, End);

internal enum IsTest
{
    Null,
    True,
    False,
}

internal sealed record IsSyntax(int Start, int End, Syntax Operand, IsTest Test, bool Negated) : Syntax(Start, End);

internal sealed record InSyntax(int Start, int End, Syntax Operand, IReadOnlyList<Syntax> Items, bool Negated, int OperatorStart)
    : Syntax(Start, End);

internal sealed record LikeSyntax(int Start, int End, Syntax Operand, Syntax Pattern, Syntax? Escape, bool Negated, bool IgnoreCase, int OperatorStart)
    : Syntax(Start, End);

internal sealed record BetweenSyntax(int Start, int End, Syntax Operand, Syntax Low, Syntax High, bool Negated)
    : Syntax(Start, End);

internal sealed record CaseBranch(Syntax When, Syntax Then);

internal sealed record CaseSyntax(int Start, int End, Syntax? Operand, IReadOnlyList<CaseBranch> Branches, Syntax? Else)
    : Syntax(Start, End);

/// <summary>CAST(x AS type); <see cref="Scale"/> is the s of <c>decimal(p, s)</c>.</summary>
internal sealed record CastSyntax(int Start, int End, Syntax Operand, ValueKind Target, string TypeName, int TypeStart, int? Scale)
    : Syntax(Start, End);

internal sealed record CallSyntax(int Start, int End, string Name, IReadOnlyList<Syntax> Arguments) : Syntax(Start, End);
