# Stands in for --ignore-unfixed in `trivy convert` (which has no such flag).
# Dropped findings show up in ExperimentalModifiedFindings as ignored / "Filtered by Rego".
# "not ... == fixed" rather than '!= "fixed"': Trivy omits Status when it is unknown, and
# 'input.Status != "fixed"' is undefined (not true) for a missing key, so it would keep those
# findings, while --ignore-unfixed drops status unknown.
package trivy

import rego.v1

default ignore := false

ignore if {
	input.Type == "vulnerability"
	not input.Status == "fixed"
}
