struct Shape {
  virtual ~Shape();
  virtual int area();
#ifdef V2
  virtual int perimeter();
#endif
  int id;
};
Shape::~Shape() {}
int Shape::area() { return 0; }
#ifdef V2
int Shape::perimeter() { return 0; }
#endif
int measure(Shape *s) { return s->id; }
