"""Tools the model may call: Semantic Kernel functions (the built-in ones in `builtin/`, one file each), what
each needs to know of the request (`context`), their marks (`spec`: acting, timeout), which a request may offer
(`policy`), and the bounds every call keeps (`bounds`: a timeout, output cut to a token bound)."""
