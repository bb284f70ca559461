package natsdev

// TempDirForTest exposes the temporary store folder to the tests.
func (s *Server) TempDirForTest() string { return s.tempDir }
