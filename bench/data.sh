#!/usr/bin/env bash
# Data benchmark (issue #3): generate a CSV of N orders (default 10,000,000, about 0.55 GB) and run the same jobs
# through the engine (a YAML pipeline run by PipelineExecutor), pandas, Miller and awk on the same file in the same
# run, printing wall time, rows/s and peak memory (max RSS from /usr/bin/time -v) side by side.
#   jobs: fd  = read -> filter (amount > 500) -> derive (amount_with_tax = amount * 1.2) -> write
#         fda = read -> filter -> derive -> aggregate (by country: count, sum) -> write
#         rw  = read -> write (the CSV path alone)
#         val = read -> validate (id required integer, amount >= 0, country in a list that leaves out JP, ordered_at a
#               timestamp; invalid rows dropped) -> write
# Where pwsh is on PATH (and BENCH_PWSH is not 0), also (on the first 1,000,000 rows at most) Import-Csv | Where-Object | ForEach-Object |
# Export-Csv against Invoke-Pipeline running the fd pipeline in pwsh, with the module built from this repository.
# Needs python3-pandas, miller and GNU time (bench/provision/data-tools.sh).
# Usage: bench/data.sh [rows, default 10000000] [jobs, default "rw fd fda val"; none: only the PowerShell comparison]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rows=${1:-10000000}
jobs=${2:-rw fd fda val}
[[ $jobs == none ]] && jobs="" # only the PowerShell comparison

for tool in /usr/bin/time /usr/bin/python3 mlr awk bc; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run bench/provision/data-tools.sh" >&2; exit 1; }
done
/usr/bin/python3 -c 'import pandas' 2>/dev/null || { echo "missing pandas: run bench/provision/data-tools.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/pipeline-data-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release "$here/Pipeline.Bench.Data" -o "$work/bin" >/dev/null
bench() { dotnet "$work/bin/Pipeline.Bench.Data.dll" "$@"; }

input="$work/orders.csv"
bench generate "$input" "$rows"
echo "input: $rows rows, $(du -m "$input" | cut -f1) MB; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(wall time on a shared machine swings with other people's builds; cpu is user + system seconds)"

cat > "$work/rw.yml" <<YAML
pipeline_id: bench-rw
steps:
  - { id: read, type: csv.read, with: { path: "$input" } }
  - { id: write, type: csv.write, input: read, with: { path: "$work/out-engine.csv" } }
YAML
cat > "$work/fd.yml" <<YAML
pipeline_id: bench-fd
steps:
  - { id: read, type: csv.read, with: { path: "$input" } }
  - { id: filter, type: filter, input: read, with: { where: "amount > 500" } }
  - { id: derive, type: derive, input: filter, with: { columns: { amount_with_tax: "amount * 1.2" } } }
  - { id: write, type: csv.write, input: derive, with: { path: "$work/out-engine.csv" } }
YAML
cat > "$work/fda.yml" <<YAML
pipeline_id: bench-fda
steps:
  - { id: read, type: csv.read, with: { path: "$input" } }
  - { id: filter, type: filter, input: read, with: { where: "amount > 500" } }
  - { id: derive, type: derive, input: filter, with: { columns: { amount_with_tax: "amount * 1.2" } } }
  - { id: aggregate, type: aggregate, input: derive, with: { group_by: [country], aggregates: { orders: "count(*)", total: "sum(amount_with_tax)" } } }
  - { id: write, type: csv.write, input: aggregate, with: { path: "$work/out-engine.csv" } }
YAML

countries="DE FR US GB NL SE ES IT PL" # the generator's countries but JP: about a tenth of the rows are invalid
cat > "$work/val.yml" <<YAML
pipeline_id: bench-val
steps:
  - { id: read, type: csv.read, with: { path: "$input" } }
  - id: validate
    type: validate
    input: read
    with:
      on_invalid: drop
      columns:
        id: { type: integer, nullable: false }
        amount: { type: decimal, min: 0 }
        country: { allowed: [${countries// /, }] }
        ordered_at: { type: timestamp }
  - { id: write, type: csv.write, input: validate, with: { path: "$work/out-engine.csv" } }
YAML

pandas_job() {
    case $1 in
        rw) echo "import pandas as pd; pd.read_csv('$input').to_csv('$work/out-pandas.csv', index=False)" ;;
        fd) echo "import pandas as pd; d=pd.read_csv('$input'); d=d[d.amount>500]; d=d.assign(amount_with_tax=d.amount*1.2); d.to_csv('$work/out-pandas.csv', index=False)" ;;
        fda) echo "import pandas as pd; d=pd.read_csv('$input'); d=d[d.amount>500]; d=d.assign(amount_with_tax=d.amount*1.2); d.groupby('country').agg(orders=('id','count'), total=('amount_with_tax','sum')).reset_index().to_csv('$work/out-pandas.csv', index=False)" ;;
        val) echo "import pandas as pd; d=pd.read_csv('$input'); ok=d.id.notna() & (pd.to_numeric(d.id, errors='coerce') % 1 == 0) & (d.amount>=0) & d.country.isin('$countries'.split()) & pd.to_datetime(d.ordered_at, errors='coerce', utc=True).notna(); d[ok].to_csv('$work/out-pandas.csv', index=False)" ;;
    esac
}
mlr_job() {
    case $1 in
        rw) echo "mlr --csv cat $input" ;;
        fd) echo "mlr --csv filter '\$amount > 500' then put '\$amount_with_tax = \$amount * 1.2' $input" ;;
        fda) echo "mlr --csv filter '\$amount > 500' then put '\$amount_with_tax = \$amount * 1.2' then stats1 -a count,sum -f amount_with_tax -g country $input" ;;
        val) echo "mlr --csv filter 'is_int(\$id) && \$amount >= 0 && \$country =~ \"^(${countries// /|})\$\" && !is_error(strptime(\$ordered_at, \"%Y-%m-%dT%H:%M:%SZ\"))' $input" ;;
    esac
}
awk_job() {
    case $1 in
        rw) echo 'NR==1{print;next}{print}' ;;
        fd) echo 'NR==1{print $0",amount_with_tax";next} $4>500{print $0","$4*1.2}' ;;
        fda) echo 'NR>1 && $4>500{n[$3]++; s[$3]+=$4*1.2} END{print "country,orders,total"; for(c in n) printf "%s,%d,%.2f\n", c, n[c], s[c]}' ;;
        val) echo 'NR==1{print;next} $1 ~ /^[0-9]+$/ && $4>=0 && $3 ~ /^('"${countries// /|}"')$/ && $5 ~ /^[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/' ;;
    esac
}

# measure <label> <command...>: wall seconds, rows/s over the input rows (measured_rows, default all), max RSS; the
# wall time is left in $wall for ratios
measure() {
    local label=$1; shift
    wall=0 cpu=0
    /usr/bin/time -v -o "$work/time.txt" "$@" > "$work/stdout.txt" 2>"$work/stderr.txt" || { echo "$label failed:"; cat "$work/stderr.txt" "$work/stdout.txt"; return 0; }
    local rss
    wall=$(grep "Elapsed (wall clock)" "$work/time.txt" | awk -F': ' '{print $2}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(grep "Maximum resident set size" "$work/time.txt" | awk -F': ' '{print $2}')
    cpu=$(grep -E "(User|System) time" "$work/time.txt" | awk -F': ' '{s+=$2} END {print s}')
    printf "  %-15s %8.2f s wall %12.0f rows/s %8.2f s cpu %8d MB peak   (load %s)\n" "$label" "$wall" "$(echo "${measured_rows:-$rows} / $wall" | bc -l)" "$cpu" "$((rss / 1024))" "$(cut -d' ' -f1 /proc/loadavg)"
}
# rows written by each tool (data lines, without the header), to show that the jobs agree
rows_out() {
    local line="  rows out:"
    for tool in engine pandas mlr awk; do
        [[ -f "$work/out-$tool.csv" ]] && line+=" $tool $(($(wc -l < "$work/out-$tool.csv") - 1))"
    done
    echo "$line"
}

for job in $jobs; do
    echo "job $job:"
    measure engine dotnet "$work/bin/Pipeline.Bench.Data.dll" run "$work/$job.yml"
    grep -h "engine:" "$work/stdout.txt" | sed 's/^/           /' || true
    measure pandas /usr/bin/python3 -c "$(pandas_job "$job")"
    measure miller bash -c "$(mlr_job "$job") > $work/out-mlr.csv"
    measure awk bash -c "awk -F, '$(awk_job "$job")' $input > $work/out-awk.csv"
    rows_out
    rm -f "$work"/out-*.csv
done

# PowerShell (issue #3): the fd job as an Import-Csv | Where-Object | ForEach-Object | Export-Csv pipeline beside
# Invoke-Pipeline running fd.yml, both in pwsh, on at most a million rows (the PowerShell pipeline takes seconds per
# million). The module is built from this repository (module/bin, as `dotnet build` lays it out).
if command -v pwsh >/dev/null && [[ ${BENCH_PWSH:-1} != 0 ]]; then
    measured_rows=$((rows < 1000000 ? rows : 1000000))
    head -n $((measured_rows + 1)) "$input" > "$work/orders-ps.csv"
    sed "s|$input|$work/orders-ps.csv|" "$work/fd.yml" > "$work/fd-ps.yml"
    dotnet build -c Release "$here/../src/Pipeline.PowerShell" >/dev/null
    echo "PowerShell, job fd on $measured_rows rows ($(pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')):"
    # Each command also times itself inside the session (Measure-Command, after Import-Module), as a user at a prompt sees it.
    measure Invoke-Pipeline pwsh -NoProfile -NonInteractive -Command "Import-Module '$here/../Pipeline.psd1'; \$t = Measure-Command { Invoke-Pipeline '$work/fd-ps.yml' -Parallel -ErrorAction Stop }; 'in session: {0:0.00} s' -f \$t.TotalSeconds"
    engine_wall=$wall engine_cpu=$cpu engine_session=$(grep -o 'in session: [0-9.]*' "$work/stdout.txt" | grep -o '[0-9.]*$' || echo 0)
    measure Import-Csv pwsh -NoProfile -NonInteractive -Command "\$t = Measure-Command { Import-Csv '$work/orders-ps.csv' | Where-Object { [decimal]\$_.amount -gt 500 } | ForEach-Object { \$_ | Add-Member -NotePropertyName amount_with_tax -NotePropertyValue ([decimal]\$_.amount * 1.2) -PassThru } | Export-Csv '$work/out-ps.csv' -NoTypeInformation -UseQuotes AsNeeded }; 'in session: {0:0.00} s' -f \$t.TotalSeconds"
    ps_session=$(grep -o 'in session: [0-9.]*' "$work/stdout.txt" | grep -o '[0-9.]*$' || echo 0)
    echo "  in session (Measure-Command): Invoke-Pipeline $engine_session s, Import-Csv pipeline $ps_session s"
    if [[ $engine_wall != 0 && $wall != 0 && $engine_session != 0 ]]; then
        echo "  Invoke-Pipeline is $(echo "scale=1; $ps_session / $engine_session" | bc -l)x faster in session; $(echo "scale=1; $wall / $engine_wall" | bc -l)x in wall time and $(echo "scale=1; $cpu / $engine_cpu" | bc -l)x in cpu with starting pwsh (rows out: engine $(($(wc -l < "$work/out-engine.csv") - 1)), PowerShell $(($(wc -l < "$work/out-ps.csv") - 1)))"
    fi
fi
