module palisade.test/upstream

go 1.22
