"""Medians of the rows of several runs of one transfer bench (bench/rounds.sh calls it with each run's output).

A row is a line "label   1.23 s", optionally followed by "(in process 1.01 s ...)", as ftp.sh, smb.sh and s3.sh print
them, or a line of sftp.sh's summary table "| client | case | seconds | MB/s | vs sftp |". Rows are kept in the order
they first appear; each gets the median of its seconds over the runs, the lowest and highest, and the median in-process
time when the bench printed one. Where the bench printed each row's throughput against the reference tool of the same
run (sftp.sh's "vs sftp"), that ratio's median over the runs comes too, with every run's: the runs interleave the
tools, so a ratio within one run compares them under the same conditions, where the machine's state drifts between
runs (the small-file rows swing by up to 3x with the virtual disk's state).
"""
import re
import statistics
import sys

ROW = re.compile(r"^(?P<label>\S.*?)\s{2,}(?P<seconds>\d+\.\d+) s\b(?P<rest>.*)$")
IN_PROCESS = re.compile(r"in process (\d+\.\d+) s")
AGAIN = re.compile(r"again in the same process (\d+\.\d+) s")
TABLE = re.compile(r"^\|\s*(?P<client>[^|]+?)\s*\|\s*(?P<case>[^|]+?)\s*\|\s*(?P<seconds>\d+\.\d+)\s*\|(?:.*\|\s*(?P<ratio>\d+)%\s*\|)?")

rows = {}


def add(key, column, value):
    rows.setdefault(key, {}).setdefault(column, []).append(float(value))


for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as run:
        for line in run:
            line = line.rstrip("\n")
            table = TABLE.match(line)
            if table:
                add(f"{table['client']} {table['case']}", "seconds", table["seconds"])
                if table["ratio"]:
                    add(f"{table['client']} {table['case']}", "ratio", table["ratio"])
                continue
            row = ROW.match(line)
            if not row or row["label"].startswith(("OpenSSH sftp -b ", "OpenSSH scp ", "Pipeline (", "Pipeline NativeAOT (")):
                continue  # sftp.sh's progress lines: its table has the same figures
            add(row["label"], "seconds", row["seconds"])
            for name, pattern in (("in process", IN_PROCESS), ("again", AGAIN)):
                found = pattern.search(row["rest"])
                if found:
                    add(row["label"], name, found.group(1))

ratios = any("ratio" in columns for columns in rows.values())
print(f"| row | median s (lowest–highest), {len(sys.argv) - 1} runs | in process, median s |" + (" throughput vs the reference of the same run: median (each run) |" if ratios else ""))
print("|---|---:|---:|" + ("---:|" if ratios else ""))
for label, columns in rows.items():
    seconds = columns["seconds"]
    text = f"{statistics.median(seconds):.2f} ({min(seconds):.2f}–{max(seconds):.2f})"
    inner = columns.get("in process")
    again = columns.get("again")
    inside = f"{statistics.median(inner):.2f}" if inner else ""
    if again:
        inside += f"; again {statistics.median(again):.2f}"
    line = f"| {label} | {text} | {inside} |"
    if ratios:
        each = columns.get("ratio", [])
        line += f" {statistics.median(each):.0f}% ({', '.join(f'{r:.0f}%' for r in each)}) |" if each else " |"
    print(line)
