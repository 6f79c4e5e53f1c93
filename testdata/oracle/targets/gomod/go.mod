module github.com/testdata/testdata

go 1.17

require (
	github.com/open-policy-agent/opa v0.35.0
	golang.org/x/text v0.3.6 // indirect
)
