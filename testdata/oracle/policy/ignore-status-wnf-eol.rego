# Stands in for --ignore-status will_not_fix,end_of_life in `trivy convert`.
package trivy

import rego.v1

default ignore := false

ignore if {
	input.Type == "vulnerability"
	input.Status in {"will_not_fix", "end_of_life"}
}
