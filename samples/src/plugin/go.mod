module example.com/assay-sample/plugin

go 1.22

require golang.org/x/text v0.21.0
