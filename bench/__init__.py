"""Benchmarks of facilitation-kit: ``python -m bench [phones|growth|all] [--quick] …``
(``make bench ARGS="phones --quick"``). Results and the machine: docs/performance.md."""
