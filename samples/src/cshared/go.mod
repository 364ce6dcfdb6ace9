module example.com/assay-sample/cshared

go 1.22
