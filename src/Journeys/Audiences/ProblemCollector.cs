namespace Journeys.Audiences;

/// <summary>Keeps the first problems found (in file order) and counts them all.</summary>
internal sealed class ProblemCollector(int kept)
{
    private readonly List<CsvProblem> _problems = [];

    public long Count { get; private set; }

    public IReadOnlyList<CsvProblem> Problems => _problems;

    public void Add(CsvProblem problem)
    {
        Count++;
        if (_problems.Count < kept)
        {
            _problems.Add(problem);
        }
    }

    /// <summary>The first problems of two collectors, each in file order, merged by line.</summary>
    public static IReadOnlyList<CsvProblem> Merge(ProblemCollector a, ProblemCollector b, int kept) =>
        b.Count == 0 ? a.Problems : [.. a.Problems.Concat(b.Problems).OrderBy(static p => p.Line).Take(kept)];
}
