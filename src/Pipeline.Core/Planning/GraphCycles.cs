namespace Pipeline.Core.Planning;

/// <summary>A knot of a graph: nodes that all reach each other, with one cycle through its first node.</summary>
/// <param name="Members">Every node of the knot, ascending.</param>
/// <param name="Path">The shortest cycle through the knot's first node: first, ..., first.</param>
internal sealed record GraphKnot(IReadOnlyList<int> Members, IReadOnlyList<int> Path);

/// <summary>
/// Finds cycles in a graph of nodes 0..n-1 (edges[i] lists the nodes i points to) in time linear in nodes and
/// edges: the strongly connected components of Tarjan's algorithm, run with an explicit stack so that a chain of
/// any length cannot overflow the call stack. Each knot is reported once, however many cycles run through it.
/// </summary>
internal static class GraphCycles
{
    /// <summary>Every knot of two or more nodes, ordered by first node. Self-edges are ignored.</summary>
    public static List<GraphKnot> Find(int[][] edges)
    {
        var n = edges.Length;
        var order = new int[n];
        var low = new int[n];
        var onStack = new bool[n];
        var component = new int[n];
        Array.Fill(order, -1);
        var members = new Stack<int>();
        var work = new Stack<(int Node, int Edge)>();
        var counter = 0;
        var components = new List<List<int>>();

        for (var root = 0; root < n; root++)
        {
            if (order[root] >= 0) continue;
            Enter(root);
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge < edges[node].Length)
                {
                    work.Push((node, edge + 1));
                    var next = edges[node][edge];
                    if (order[next] < 0) Enter(next);
                    else if (onStack[next]) low[node] = Math.Min(low[node], order[next]);
                    continue;
                }
                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
                if (low[node] != order[node]) continue;
                var knot = new List<int>();
                int member;
                do
                {
                    member = members.Pop();
                    onStack[member] = false;
                    component[member] = components.Count;
                    knot.Add(member);
                }
                while (member != node);
                components.Add(knot);
            }
        }

        void Enter(int node)
        {
            order[node] = low[node] = counter++;
            members.Push(node);
            onStack[node] = true;
            work.Push((node, 0));
        }

        var result = new List<GraphKnot>();
        foreach (var knot in components.Where(k => k.Count > 1))
        {
            knot.Sort();
            result.Add(new GraphKnot(knot, ShortestCycle(knot[0], edges, component)));
        }
        result.Sort((a, b) => a.Members[0].CompareTo(b.Members[0]));
        return result;
    }

    /// <summary>The shortest path start -> ... -> start inside start's component (breadth-first).</summary>
    private static List<int> ShortestCycle(int start, int[][] edges, int[] component)
    {
        var from = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        var last = -1;
        while (queue.Count > 0 && last < 0)
        {
            var node = queue.Dequeue();
            foreach (var next in edges[node])
            {
                if (component[next] != component[start] || next == node) continue;
                if (next == start)
                {
                    last = node;
                    break;
                }
                if (from.TryAdd(next, node)) queue.Enqueue(next);
            }
        }
        // Walk back from the node that closes the cycle, then turn the middle round: start, a, b, ..., last, start.
        var path = new List<int> { start };
        for (var node = last; node != start; node = from[node]) path.Add(node);
        path.Add(start);
        path.Reverse(1, path.Count - 2);
        return path;
    }
}
