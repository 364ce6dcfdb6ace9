struct Mixin { int m; };
#ifdef V2
struct Widget : Mixin { int w; };
#else
struct Widget { int w; };
#endif
int draw(Widget *w) { return w->w; }
