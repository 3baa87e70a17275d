"""mlm-jupyter: notebook-native ML model management.

``import mlm_jupyter as mlm`` is cheap: every public name is imported on
first use from the module that implements it (see ``_EXPORTS``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlm_jupyter._version import __version__

if TYPE_CHECKING:  # for type checkers and IDEs; at run time looked up on first use like the rest
    from mlm_jupyter.core.errors import MlmError

# public name -> "module:attribute"; each layer adds its own lines
_EXPORTS: dict[str, str] = {
    # the base of every error this package raises (looked up too: %load_ext needs none of the error classes)
    "MlmError": "mlm_jupyter.core.errors:MlmError",
    # tracking (foundation)
    "MlmClient": "mlm_jupyter.tracking.client:MlmClient",
    "start_run": "mlm_jupyter.tracking.fluent:start_run",
    "end_run": "mlm_jupyter.tracking.fluent:end_run",
    "active_run": "mlm_jupyter.tracking.fluent:active_run",
    "use_run": "mlm_jupyter.tracking.fluent:use_run",
    "set_experiment": "mlm_jupyter.tracking.fluent:set_experiment",
    "log_param": "mlm_jupyter.tracking.fluent:log_param",
    "log_params": "mlm_jupyter.tracking.fluent:log_params",
    "log_metric": "mlm_jupyter.tracking.fluent:log_metric",
    "log_metrics": "mlm_jupyter.tracking.fluent:log_metrics",
    "set_tag": "mlm_jupyter.tracking.fluent:set_tag",
    "set_tags": "mlm_jupyter.tracking.fluent:set_tags",
    "log_artifact": "mlm_jupyter.tracking.fluent:log_artifact",
    "log_text": "mlm_jupyter.tracking.fluent:log_text",
    "get_run": "mlm_jupyter.tracking.fluent:get_run",
    "search_runs": "mlm_jupyter.tracking.fluent:search_runs",
    "get_metric_history": "mlm_jupyter.tracking.fluent:get_metric_history",
    "get_client": "mlm_jupyter.tracking.fluent:get_client",
    "set_client": "mlm_jupyter.tracking.fluent:set_client",
    "Run": "mlm_jupyter.core.entities:Run",
    "Experiment": "mlm_jupyter.core.entities:Experiment",
    "errors": "mlm_jupyter.core.errors",
    # data versioning
    "fingerprint": "mlm_jupyter.core.fingerprint:fingerprint",
    "is_supported": "mlm_jupyter.core.fingerprint:is_supported",
    "log_input": "mlm_jupyter.tracking.data_fluent:log_input",
    "log_output": "mlm_jupyter.tracking.data_fluent:log_output",
    "datasets": "mlm_jupyter.tracking.data_fluent:datasets",
    "dataset_versions": "mlm_jupyter.tracking.data_fluent:dataset_versions",
    "lineage": "mlm_jupyter.tracking.data_fluent:lineage",
    "diff_data": "mlm_jupyter.tracking.data_fluent:diff_data",
    "Fingerprint": "mlm_jupyter.core.fingerprint:Fingerprint",
    "DataDiff": "mlm_jupyter.core.data_diff:DataDiff",
    "Dataset": "mlm_jupyter.core.dataset_entities:Dataset",
    "DatasetVersion": "mlm_jupyter.core.dataset_entities:DatasetVersion",
    "Lineage": "mlm_jupyter.core.dataset_entities:Lineage",
    # model registry
    "log_model": "mlm_jupyter.tracking.registry_fluent:log_model",
    "register_model": "mlm_jupyter.tracking.registry_fluent:register_model",
    "set_alias": "mlm_jupyter.tracking.registry_fluent:set_alias",
    "delete_alias": "mlm_jupyter.tracking.registry_fluent:delete_alias",
    "models": "mlm_jupyter.tracking.registry_fluent:models",
    "model_versions": "mlm_jupyter.tracking.registry_fluent:model_versions",
    "get_model_version": "mlm_jupyter.tracking.registry_fluent:get_model_version",
    "model_history": "mlm_jupyter.tracking.registry_fluent:model_history",
    "model_loads": "mlm_jupyter.tracking.registry_fluent:model_loads",
    "model_card": "mlm_jupyter.tracking.registry_fluent:model_card",
    "load_model": "mlm_jupyter.tracking.registry_fluent:load_model",
    "export_model": "mlm_jupyter.tracking.registry_fluent:export_model",
    "set_promotion_rule": "mlm_jupyter.tracking.registry_fluent:set_promotion_rule",
    "promotion_rules": "mlm_jupyter.tracking.registry_fluent:promotion_rules",
    "delete_promotion_rule": "mlm_jupyter.tracking.registry_fluent:delete_promotion_rule",
    "archive_model_version": "mlm_jupyter.tracking.registry_fluent:archive_model_version",
    "restore_model_version": "mlm_jupyter.tracking.registry_fluent:restore_model_version",
    "set_model_description": "mlm_jupyter.tracking.registry_fluent:set_model_description",
    "ModelVersion": "mlm_jupyter.core.model_entities:ModelVersion",
    "RegisteredModel": "mlm_jupyter.core.model_entities:RegisteredModel",
    "RegistryEvent": "mlm_jupyter.core.model_entities:RegistryEvent",
    "PromotionRule": "mlm_jupyter.core.promotion:PromotionRule",
    "ModelSignature": "mlm_jupyter.core.signature:ModelSignature",
    "infer_signature": "mlm_jupyter.core.signature:infer_signature",
    # model scan
    "scan": "mlm_jupyter.tracking.scan:scan",
    "scan_reports": "mlm_jupyter.tracking.scan:fluent_scan_reports",
    "get_scan": "mlm_jupyter.tracking.scan:fluent_get_scan",
    "ScanReport": "mlm_jupyter.core.scan_checks.findings:ScanReport",
    # model observation
    "monitor": "mlm_jupyter.tracking.monitor:monitor",
    "Monitor": "mlm_jupyter.tracking.monitor:Monitor",
    "set_monitor_thresholds": "mlm_jupyter.tracking.monitor:set_monitor_thresholds",
    "DriftReport": "mlm_jupyter.core.drift_report:DriftReport",
    "drift": "mlm_jupyter.widgets.drift:drift",
    # kernel capture
    "gather": "mlm_jupyter.tracking.gather:gather",
    # reproduction
    "reproduce": "mlm_jupyter.tracking.reproduce:reproduce",
    "reproductions": "mlm_jupyter.tracking.reproduce:reproductions",
    "Reproduction": "mlm_jupyter.tracking.reproduce:Reproduction",
    "session_diff": "mlm_jupyter.tracking.session_diff:session_diff",
    # widgets
    "runs": "mlm_jupyter.widgets.runs_table:runs",
    "compare": "mlm_jupyter.widgets.comparison:compare",
    "registry": "mlm_jupyter.widgets.registry_panel:registry",
    "history": "mlm_jupyter.widgets.history:history",
    "scan_view": "mlm_jupyter.widgets.scan:scan_view",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        if name.startswith("__"):  # tools probing dunders: no hint needed
            raise AttributeError(f"module 'mlm_jupyter' has no attribute {name!r}")
        import difflib

        close = difflib.get_close_matches(name, __all__, n=3, cutoff=0.7)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; see dir(mlm_jupyter) for the public names"
        raise AttributeError(f"module 'mlm_jupyter' has no attribute {name!r}{hint}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    if module_name == "mlm_jupyter.tracking.reproduce":
        _show_reproductions_as_views()
    return value


def _show_reproductions_as_views() -> None:
    """In IPython, a ``Reproduction`` displays as the shared repro view (registered once, by name)."""
    import sys

    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        # registered by name with a stand-in, so %load_ext imports no widget library (ipywidgets, anywidget:
        # 0.2 s and modules the notebook never imported); the view is imported on the first Reproduction shown
        formatter = getattr(getattr(shell, "display_formatter", None), "mimebundle_formatter", None)
        if formatter is not None:
            formatter.for_type_by_name("mlm_jupyter.tracking.reproduce", "Reproduction", _reproduction_bundle)


def _reproduction_bundle(reproduction: Any, include: Any = None, exclude: Any = None) -> Any:
    from mlm_jupyter.widgets.repro import reproduction_bundle

    return reproduction_bundle(reproduction, include=include, exclude=exclude)


def __dir__() -> list[str]:
    return sorted(__all__)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from mlm_jupyter.server import _jupyter_server_extension_points as points

    return points()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "mlm-jupyter"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlm_jupyter``: record every cell, add ``%%track`` and ``%mlm``."""
    from mlm_jupyter.kernel.extension import load

    load(ipython)
    _show_reproductions_as_views()


def unload_ipython_extension(ipython: Any) -> None:
    from mlm_jupyter.kernel.extension import unload

    unload(ipython)
