module svcwrap/tests/children/gochild

go 1.19
