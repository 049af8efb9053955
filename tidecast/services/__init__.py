"""Services: every piece of I/O the functions need, built once by tidecast.container."""
