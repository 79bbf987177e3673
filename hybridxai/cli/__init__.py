r"""The ``hybridxai`` command line (typer + rich).

Examples::

    hybridxai explain --sample chelsea                 # bundled photo, offline MobileNetV2
    hybridxai explain photo.jpg --model mobilenet_v2 --checkpoint weights.pt --device cpu \\
        --layer features.17 --target 281               # your weights, layer and class
    hybridxai explain cat.jpg --backend statevector --max-qubits 12 --total-time 10 --num-reads 100
    hybridxai explain photos/ --out out/photos          # a folder; rerun to resume
    hybridxai backends                                 # what each solver is, and if it is installed
    hybridxai reproduce --dataset fashion-mnist --quick # the paper's tables and figures
    hybridxai evaluate a.jpg b.jpg c.jpg --methods qubo:beta=0.7 gradcam --out out/eval

Errors caused by the input print one line and exit with status 2; Ctrl-C stops cleanly
(finished results kept) with status 130. A run that finished but could not explain every image
(``explain FOLDER``, ``reproduce``) keeps the other results, says which failed and exits with
status 1; rerunning the same command retries only those.
"""

from hybridxai.cli.app import app, main

__all__ = ["app", "main"]
