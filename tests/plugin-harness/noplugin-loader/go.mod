module example.com/nopluginloader

go 1.22
