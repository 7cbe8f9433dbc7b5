"""The `archcalc` command line. Exit status: 0 clean, 1 errors or wrong answers, 2 usage."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archcalc import __version__, ir
from archcalc.analysis import analyze
from archcalc.conventions import CONVENTIONS, disagreements, under
from archcalc.diagnostics import Diagnostic, error
from archcalc.errors import BackendError
from archcalc.freezing import FreezeError, freeze
from archcalc.lints import lint
from archcalc.metrics import DTYPE_BYTES, OPTIMIZER_STATE, memory_estimate
from archcalc.parser import parse
from archcalc.render.diagnostics import render_diagnostics
from archcalc.render.tables import (
    FORMATS,
    conventions_text,
    render_csv,
    render_latex,
    render_markdown,
    render_text,
)
from archcalc.report import CheckReport, SpecReport
from archcalc.source import Source

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A problem with how archcalc was called (exit status 2)."""


@dataclass
class Input:
    source: Source
    decode_error: Diagnostic | None = None


def _read(path: str) -> Input:
    """A spec file as text; bytes that are not UTF-8 become a diagnostic, not a crash."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            name = "<stdin>"
        else:
            with open(path, "rb") as handle:
                data = handle.read()
            name = path
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return Input(Source(data.decode("utf-8").removeprefix("\ufeff"), name))
    except UnicodeDecodeError as exc:
        source = Source(data.decode("utf-8", errors="replace"), name)
        offset = len(data[: exc.start].decode("utf-8", errors="replace"))
        return Input(source, error(
            "E100", f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start})", source.span(offset, offset + 1),
            help=["a spec is a plain text file; save it as UTF-8"]))


def _report(given: Input, frozen: Sequence[str] = (), convention: str = "pytorch") -> SpecReport:
    if given.decode_error is not None:
        spec = parse("", given.source.name)
        spec.diagnostics = [given.decode_error]
        return analyze(spec)
    spec = under(parse(given.source.text, given.source.name), convention)
    if frozen:
        try:
            spec = freeze(spec, list(frozen))
        except FreezeError as exc:
            raise UsageError(str(exc)) from None
    return analyze(spec)


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archcalc",
        description="Shapes, parameters and worked arithmetic for convolutional networks.")
    parser.add_argument("--version", action="version", version=f"archcalc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check", help="compute every layer's shape and parameters, and grade `expect` answers",
        description="Compute every layer's output shape and parameter count, check `expect` "
        "answers, and report problems. Exit status: 0 clean, 1 errors or wrong answers, "
        "2 usage errors.")
    check.add_argument("files", nargs="*", metavar="FILE", help="spec files ('-' for stdin)")
    check.add_argument("-e", "--expr", action="append", default=[], metavar="SPEC",
                       help="a spec given on the command line; ';' separates statements")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format")
    check.add_argument("--explain", action="store_true",
                       help="show the arithmetic of every layer")
    check.add_argument("--depth", type=_positive_int, default=None, metavar="N",
                       help="show N levels of nested blocks (1: the spec's own items, with "
                       "each block's subtotal); default: every level")
    check.add_argument("--metrics", action="store_true",
                       help="add MACs, FLOPs, weight and activation memory and receptive "
                       "fields to the table, and memory totals (docs/metrics.md)")
    check.add_argument("--batch", type=_positive_int, default=None, metavar="N",
                       help="batch size for activation memory (default 1; implies --metrics)")
    check.add_argument("--dtype", choices=tuple(DTYPE_BYTES), default=None,
                       help="number type for memory (default float32; implies --metrics)")
    check.add_argument("--optimizer", choices=tuple(OPTIMIZER_STATE), default=None,
                       help="optimiser whose state the training estimate counts (default adam;"
                       " implies --metrics)")
    check.add_argument("--convention", choices=CONVENTIONS, default="pytorch",
                       help="rounding rules: pytorch and keras floor every size (pooling rounds "
                       "up only with `ceil`); caffe rounds pooling up (docs/metrics.md)")
    check.add_argument("--compare-conventions", action="store_true",
                       help="list the layers whose output differs between pytorch, keras and "
                       "caffe")
    check.add_argument("--lint", action="store_true",
                       help="also warn about design choices worth a second look (W501–W505: "
                       "softmax inside, bias before batch norm, dropout at the end, pooling "
                       "that skips input, an fc layer with most of the parameters)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--layout", choices=("hwc", "chw"), default="hwc",
                       help="write shapes channels-last (as the lecture) or channels-first "
                       "(as PyTorch)")
    check.add_argument("-q", "--quiet", action="store_true",
                       help="print only problems and the summary, no table")
    check.add_argument("--freeze", action="append", default=[], metavar="LAYERS",
                       help="count these layers as frozen (non-trainable), as `train --freeze` "
                       "would: a name, A..B (inclusive), or a comma list")

    commands.add_parser("schema", help="print the JSON Schema of `check --format json`")

    grade = commands.add_parser(
        "grade", help="grade a class: each submission's answers, one row per student",
        description="Grade submissions: specs with `expect` answers, or with --key, CSV answer "
        "sheets (layer,shape,params). Folders are searched for .arch and .csv files. A "
        "submission that cannot be read is reported and the rest are still graded.")
    grade.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                       help="spec or answer-sheet files, or folders of them")
    grade.add_argument("--key", metavar="KEY.arch",
                       help="the reference spec: its `expect` answers are the questions")
    grade.add_argument("--blank", action="store_true",
                       help="print a blank CSV answer sheet for the key's questions")
    grade.add_argument("--format", choices=("text", "csv", "json"), default="text")
    grade.add_argument("--details", action="store_true",
                       help="each wrong answer with the right working and the likely mistake")

    quiz = commands.add_parser(
        "quiz", help="generate exercises with answer keys",
        description="Generate small networks with questions about them: seeded and "
        "reproducible. Markdown or LaTeX, with --answers the key with the working; --format "
        "arch writes each question as a spec with `expect` answers, a key for `archcalc grade`.")
    quiz.add_argument("--seed", type=int, default=0)
    quiz.add_argument("--count", type=_positive_int, default=5)
    quiz.add_argument("--level", choices=("easy", "medium", "hard"), default="medium")
    quiz.add_argument("--topics", default="shape,params",
                      help="comma list of: shape, params, padding, stride, pooling, "
                      "receptive-field (default shape,params)")
    quiz.add_argument("--format", choices=("markdown", "latex", "arch"), default="markdown")
    quiz.add_argument("--answers", action="store_true", help="the answer key, with the working")
    quiz.add_argument("-o", "--output", metavar="DIR",
                      help="with --format arch: write questionNN.arch files here")

    draw = commands.add_parser("draw", help="draw the network as an SVG picture")
    draw.add_argument("file", metavar="FILE")
    draw.add_argument("-o", "--output", metavar="OUT.svg", help="where to write (default: stdout)")

    solve = commands.add_parser(
        "solve", help="the input sizes a network takes and divides exactly; the padding or "
        "stride that makes a layer reach a size",
        description="List the input heights and widths (1 to --max) that the network accepts, "
        "those for which every division is exact, and the exact sizes nearest the spec's own. "
        "With --target LAYER=HxW, the paddings and strides that make that layer's output HxW.")
    solve.add_argument("file", metavar="FILE", help="a spec file ('-' for stdin)")
    solve.add_argument("--max", type=_positive_int, default=1024, metavar="N",
                       help="largest input size tried (default 1024)")
    solve.add_argument("--target", action="append", default=[], metavar="LAYER=HxW",
                       help="a layer (its name or path) and the output size wanted")

    verify = commands.add_parser(
        "verify", help="build each spec in PyTorch and compare every layer with `check`",
        description="Build the PyTorch model of each spec, run one forward pass (on the meta "
        "device: no memory for weights or activations) and compare every layer's output shape "
        "and parameter count with the static pass. Exit status 1 on any mismatch.")
    verify.add_argument("files", nargs="+", metavar="FILE", help="spec files")
    verify.add_argument("--device", default="meta",
                        help="where to run the forward pass: meta (default), cpu, cuda")
    verify.add_argument("--format", choices=("text", "json"), default="text")

    export = commands.add_parser(
        "export", help="write a spec as readable PyTorch source",
        description="Write one nn.Module class, with each line commented with its output "
        "shape and parameters, that needs only torch to run.")
    export.add_argument("file", metavar="FILE", help="spec file")
    export.add_argument("-o", "--output", metavar="OUT.py", help="file to write (default: "
                        "standard output)")
    export.add_argument("--class-name", metavar="NAME",
                        help="the class's name (default: from the file name)")
    _training_arguments(commands)
    return parser


def _training_arguments(commands: Any) -> None:
    train = commands.add_parser(
        "train", help="train the spec's model with the lecture's practice",
        description="Train the spec's PyTorch model: normalisation from the training split, "
        "augmentation, dropout, softmax + cross-entropy, early stopping on validation loss. "
        "Settings come from flags, or from a TOML file (--config) that flags override. The run "
        "is saved in RUNS/NAME/: model.safetensors, history.csv, summary.json, curves.png.")
    train.add_argument("file", metavar="FILE", help="spec file")
    train.add_argument("--data", help="digits, shapes, a folder of class folders, or an .npz "
                       "file with x (N x H x W x C) and y (default: shapes)")
    train.add_argument("--config", type=Path, metavar="TOML", help="settings file")
    train.add_argument("--samples", type=int, help="images `shapes` draws (default: 2000)")
    train.add_argument("--epochs", type=int, help="at most this many epochs (default: 30)")
    train.add_argument("--batch-size", type=int, help="default: 64")
    train.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), help="default: adam")
    train.add_argument("--lr", type=float, help="learning rate (default: 0.001)")
    train.add_argument("--momentum", type=float, help="for sgd (default: 0.9)")
    train.add_argument("--weight-decay", type=float, help="default: 0")
    train.add_argument("--patience", type=int, help="epochs without a better validation loss "
                       "before stopping; 0 stops at the first rise (default: 5)")
    train.add_argument("--min-delta", type=float, help="the least fall in validation loss "
                       "that counts as better (default: 0)")
    train.add_argument("--no-normalize", dest="normalize", action="store_const", const=False,
                       help="do not standardise inputs with the training split's statistics")
    train.add_argument("--augment", metavar="LIST", help="comma-separated: flip,crop,contrast,"
                       "tint")
    train.add_argument("--seed", type=int, help="default: 0")
    train.add_argument("--device", help="cpu (default), cuda, ...")
    train.add_argument("--init-from", type=Path, metavar="MODEL",
                       help="transfer weights from a trained model.safetensors (or run folder)")
    train.add_argument("--freeze", action="append", metavar="LAYERS",
                       help="freeze layers: a name, A..B (inclusive), or a comma list")
    train.add_argument("--name", help="run name (default: the spec file's name)")
    train.add_argument("--runs", type=Path, default=Path("runs"), metavar="DIR",
                       help="folder of runs (default: runs)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run NAME from its last completed epoch")

    evaluate = commands.add_parser(
        "evaluate", help="accuracy and confusion matrix of a trained run on data")
    evaluate.add_argument("run", type=Path, metavar="RUN", help="run folder or model file")
    evaluate.add_argument("--data", required=True, help="as for train")
    evaluate.add_argument("--samples", type=int, default=2000)
    evaluate.add_argument("--seed", type=int, default=1, help="for generated data (default: 1, "
                          "not the training seed)")
    evaluate.add_argument("-o", "--output", type=Path, metavar="PNG",
                          help="confusion matrix picture (default: RUN/confusion.png)")

    maps = commands.add_parser(
        "featuremaps", help="a trained run's feature maps for an image, and its first filters")
    maps.add_argument("run", type=Path, metavar="RUN", help="run folder or model file")
    maps.add_argument("image", type=Path, metavar="IMAGE")
    maps.add_argument("-o", "--output", type=Path, metavar="PNG",
                      help="where to save the picture (default: featuremaps.png)")
    maps.add_argument("--channels", type=_positive_int, default=32, metavar="N",
                      help="tiles per layer at most (default 32)")

    predict = commands.add_parser("predict", help="the top classes of an image")
    predict.add_argument("run", type=Path, metavar="RUN", help="run folder or model file")
    predict.add_argument("image", type=Path, metavar="IMAGE")
    predict.add_argument("--top", type=int, default=5, metavar="K")


def _summary(report: SpecReport) -> str:
    errors, warnings = report.errors, report.warnings
    parts = [f"{errors} error{'s' * (errors != 1)}" if errors else "no errors"]
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    notes = len(report.diagnostics) - errors - warnings
    if notes:
        parts.append(f"{notes} note{'s' * (notes != 1)}")
    return f"{report.source}: " + ", ".join(parts)


def _positive_int(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more, not {text!r}")
    return value


def _check(args: argparse.Namespace) -> int:
    inputs = [_read(path) for path in args.files]
    inputs += [Input(Source(text, f"<expr{i}>" if len(args.expr) > 1 else "<expr>"))
               for i, text in enumerate(args.expr, start=1)]
    if not inputs:
        raise UsageError("nothing to check: give a FILE or -e SPEC")
    reports = [_report(given, args.freeze, args.convention) for given in inputs]
    sources = {given.source.name: given.source for given in inputs}
    depth = None if args.depth is None else args.depth - 1  # rows at depth 0 are level 1
    if args.lint:
        for report in reports:
            report.diagnostics = sorted(report.diagnostics + lint(report),
                                        key=lambda d: d.span.start)
    metrics = args.metrics or any(value is not None for value in
                                  (args.batch, args.dtype, args.optimizer))
    if metrics or args.format == "json":
        for report in reports:
            report.memory = memory_estimate(report, args.batch or 1, args.dtype or "float32",
                                            args.optimizer or "adam")
    out = sys.stdout
    if args.format == "json":
        out.write(CheckReport(files=reports).model_dump_json(indent=2) + "\n")
    elif args.format == "csv":
        out.write(render_csv(reports, args.layout, depth))
    for report in reports:
        shown = render_diagnostics(report.diagnostics, sources[report.source])
        if args.format == "text":
            table = "" if args.quiet else render_text(report, args.layout, args.explain, depth)
            compared = ""
            if args.compare_conventions:
                given = next(i for i in inputs if i.source.name == report.source)
                compared = conventions_text(disagreements(
                    parse(given.source.text, given.source.name)), args.layout)
            blocks = [block for block in (table, compared, shown) if block]
            blocks.append(_summary(report))
            out.write("\n\n".join(blocks) + "\n")
            if report is not reports[-1]:
                out.write("\n")
        else:
            if args.format == "markdown":
                out.write(render_markdown(report, args.layout, args.explain, depth) + "\n")
            elif args.format == "latex":
                out.write(render_latex(report, args.layout, args.explain, depth) + "\n")
            if shown and args.format != "json":
                sys.stderr.write(shown + "\n\n" + _summary(report) + "\n")
    failed = any(r.errors or (args.strict and r.warnings) for r in reports)
    return EXIT_ERRORS if failed else EXIT_OK


def _check_without_cycle_collection(args: argparse.Namespace) -> int:
    # A check builds many small objects and no garbage cycles worth collecting; the cycle
    # collector's passes over them cost a third of the time on a large spec. (Training, which
    # runs long, keeps it.)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(args)
    finally:
        if collecting:
            gc.enable()


def _checked(path: str) -> SpecReport:
    """The report of a spec that the backend commands need free of errors."""
    given = _read(path)
    report = _report(given)
    if report.network_errors:
        sys.stdout.write(render_diagnostics(report.diagnostics, given.source) + "\n\n"
                         + _summary(report) + "\n")
        raise BackendError(f"{path} has errors; fix them first")
    return report


def _verify(args: argparse.Namespace) -> int:
    try:
        from archcalc.pytorch import verify
    except ImportError as exc:
        raise UsageError(f"`archcalc verify` needs PyTorch ({exc}); "
                         "install it with: pip install 'archcalc[torch]'") from None
    from archcalc.render.verify import render_verify

    failed = False
    results = []
    for path in args.files:
        result = verify(_checked(path), device=args.device)
        failed |= not result.ok
        results.append(result)
    if args.format == "json":
        sys.stdout.write("[" + ",\n".join(r.model_dump_json(indent=2) for r in results) + "]\n")
    else:
        sys.stdout.write("\n\n".join(render_verify(r) for r in results) + "\n")
    return EXIT_ERRORS if failed else EXIT_OK


def _grade(args: argparse.Namespace) -> int:
    from archcalc.grading import BadKey, Key, grade, submissions
    from archcalc.render.grading import render_grades, render_grades_csv

    try:
        key = Key(Path(args.key)) if args.key else None
    except (BadKey, ValueError) as exc:
        raise UsageError(f"--key {args.key}: {exc}") from None
    if args.blank:
        if key is None:
            raise UsageError("--blank prints the answer sheet of a key: give --key")
        sys.stdout.write(key.blank_sheet())
        return EXIT_OK
    paths = submissions(args.submissions)
    if not paths:
        raise UsageError("nothing to grade: give submission files or folders")
    report = grade(paths, key)
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render_grades_csv(report))
    else:
        sys.stdout.write(render_grades(report, args.details) + "\n")
    return EXIT_OK


def _quiz(args: argparse.Namespace) -> int:
    from archcalc import quiz

    topics = tuple(t.strip() for t in args.topics.split(",") if t.strip())
    unknown = [t for t in topics if t not in quiz.TOPICS]
    if unknown or not topics:
        raise UsageError(f"--topics: unknown {', '.join(unknown) or 'nothing'}; choose from "
                         + ", ".join(quiz.TOPICS))
    questions = quiz.make_quiz(args.seed, args.count, args.level, topics)
    if len(questions) < args.count:
        raise UsageError(f"only {len(questions)} different questions of this level and these "
                         "topics; ask for fewer, or add topics")
    if args.format == "markdown":
        sys.stdout.write(quiz.render_markdown(questions, args.answers))
    elif args.format == "latex":
        sys.stdout.write(quiz.render_latex(questions, args.answers))
    elif args.output:
        folder = Path(args.output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for question in questions:
                (folder / f"question{question.number:02d}.arch").write_text(
                    question.key_spec(), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write to {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {len(questions)} keys to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write("\n".join(f"# question {q.number}\n{q.key_spec()}" for q in questions))
    return EXIT_OK


def _draw(args: argparse.Namespace) -> int:
    from archcalc.render.draw import render_svg

    report = _checked(args.file)
    if report.input_formula is not None:
        raise UsageError(f"{args.file}: a drawing needs numbers for the input's size")
    _write_or_print(render_svg(report), args.output, "drawing")
    return EXIT_OK


def _write_or_print(text: str, output: str | None, what: str) -> None:
    """Write a file whole (or not at all), or print to stdout."""
    if not output:
        sys.stdout.write(text)
        return
    target = Path(output)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}: {what}", file=sys.stderr)


def _solve(args: argparse.Namespace) -> int:
    from archcalc.render.solve import render_axes, render_target
    from archcalc.solve import solve_axes, target_options

    given = _read(args.file)
    spec = parse(given.source.text, given.source.name)
    problems = [given.decode_error] if given.decode_error else [
        d for d in spec.diagnostics if d.is_error]
    if problems:
        sys.stdout.write(render_diagnostics(problems, given.source) + "\n")
        raise BackendError(f"{args.file} has errors; fix them first")
    if spec.input is None or len(spec.input.shape) != 3:
        raise UsageError(f"{args.file}: solve needs an image input (H x W x C)")
    symbols = spec.input.symbols or (None,) * 3
    shape = "x".join(s or str(d) for s, d in zip(symbols, spec.input.shape, strict=True))
    lines = [f"{given.source.name} (input {shape})", *render_axes(solve_axes(spec, args.max))]
    report = analyze(spec) if args.target else None
    for target in args.target:
        path, _, size = target.partition("=")
        sizes = [part for part in size.lower().split("x") if part]
        if not path or not sizes or not all(part.isdigit() for part in sizes) or len(sizes) > 2:
            raise UsageError(f"--target {target}: write LAYER=HxW, e.g. conv1=55x55")
        wanted = (int(sizes[0]), int(sizes[-1]))
        assert report is not None
        rows = {row.path: row for row in report.rows()}
        row = rows.get(path) or next((r for r in report.rows() if r.name == path), None)
        if row is None or not isinstance(row.layer, ir.Conv | ir.Pool):
            kinds = ", ".join(r.path for r in report.rows()
                              if isinstance(r.layer, ir.Conv | ir.Pool))
            raise UsageError(f"--target {target}: `{path}` is not a conv or pooling layer of "
                             f"the spec; those are: {kinds}")
        if row.input_shape is None or len(row.input_shape) != 3:
            raise UsageError(f"--target {target}: the input of `{path}` is unknown; fix the "
                             "errors before it first")
        options = [target_options(row.layer, row.input_shape[axis], wanted[axis], axis)
                   for axis in (0, 1)]
        lines += ["", *render_target(row.path, row.layer,
                                     (row.input_shape[0], row.input_shape[1]), wanted, options)]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from archcalc.export import class_name, export_source

    report = _checked(args.file)
    name = args.class_name or class_name(report.source)
    _write_or_print(export_source(report, name), args.output, f"class {name}")
    return EXIT_OK


def _training_command(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401

        from archcalc.pytorch import training_cli
    except ImportError as exc:
        raise UsageError(f"`archcalc {args.command}` needs PyTorch and the training extras "
                         f"({exc}); install them with: pip install 'archcalc[train]'") from None
    return training_cli.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _arguments()
    args = parser.parse_args(argv)
    try:
        if args.command == "schema":
            import json

            print(json.dumps(CheckReport.model_json_schema(), indent=2))
            return EXIT_OK
        if args.command == "verify":
            return _verify(args)
        if args.command == "solve":
            return _solve(args)
        if args.command == "grade":
            return _grade(args)
        if args.command == "quiz":
            return _quiz(args)
        if args.command == "draw":
            return _draw(args)
        if args.command == "export":
            return _export(args)
        if args.command in ("train", "evaluate", "predict", "featuremaps"):
            return _training_command(args)
        return _check_without_cycle_collection(args)
    except UsageError as exc:
        print(f"archcalc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BackendError as exc:
        print(f"archcalc: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`); nothing more to say
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence against a traceback
        print(f"archcalc: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in archcalc; please report it with the spec that caused it.",
              file=sys.stderr)
        return EXIT_INTERNAL
