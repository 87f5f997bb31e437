# openova.platform developer entry points. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CACHE ?= $(or $(OPENOVA_CACHE_DIR),$(CURDIR)/.cache)
export OPENOVA_CACHE_DIR := $(CACHE)
export ANSIBLE_COLLECTIONS_PATH := $(CACHE)/collections
PY := $(VENV)/bin/python
DEVCLUSTER := $(PY) tools/devcluster.py

.PHONY: help setup cluster-up cluster-down cluster-env cluster-status demo platform test unit integration lint sanity molecule build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## create the virtualenv and link the collection (idempotent)
	@bash tools/setup.sh

cluster-up: setup ## start the local control plane with kwok nodes and all upstream CRDs
	@$(DEVCLUSTER) up --crds all

cluster-down: ## stop the processes cluster-up started
	@$(DEVCLUSTER) down

cluster-status: ## show the local cluster's components and nodes
	@$(DEVCLUSTER) status

cluster-env: ## print `export KUBECONFIG=...` for the running cluster
	@$(DEVCLUSTER) env

demo: setup ## the main job: local cluster, site.yml, and a demo tenant onboarding
	@bash tools/demo.sh

test: setup ## every test: unit, integration, sanity, lint, molecule, kyverno (what CI runs)
	@bash tools/test.sh

unit: setup ## unit tests only (no cluster)
	@bash tools/test.sh unit

integration: setup ## integration tests against the local cluster (started when not running)
	@bash tools/test.sh integration

lint: setup ## ansible-lint, production profile
	@bash tools/test.sh lint

sanity: setup ## ansible-test sanity, offline
	@bash tools/test.sh sanity

molecule: cluster-up ## molecule default scenario on the local cluster
	@bash tools/test.sh molecule

platform: setup ## site.yml from ../shared/charts on a local `platform` cluster (make demo without the tenant)
	@$(DEVCLUSTER) --name demo up --profile platform
	@K8S_AUTH_KUBECONFIG=$(CACHE)/clusters/demo/admin.kubeconfig $(VENV)/bin/ansible-playbook site.yml -i inventories/local/hosts.yml

build: setup ## build the collection tarball
	@$(VENV)/bin/ansible-galaxy collection build --force --output-path $(CACHE)/dist .
