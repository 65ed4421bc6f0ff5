"""The schema strings of every file in a run folder; one place, so writer and reader agree."""

RUN_SCHEMA = "scapre-audit/run/1"  # manifest.json["identity"]["schema"]
RESULTS_SCHEMA = "scapre-audit/results/1"
CLAIMS_SCHEMA = "scapre-audit/claims/1"
EDIT_SCHEMA = "scapre-audit/run-edit/1"  # edits/<edit_id>/edit.json
IMAGE_SCHEMA = "scapre-audit/run-image/1"  # images/<edit_id>/<image_id>.json
ARTIFACT_SCHEMA = "scapre-audit/attack-artifact/1"  # attacks/<attack>/<edit_id>/<unit_id>.json
