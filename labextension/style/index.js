import 'uplot/dist/uPlot.min.css';
import './views.css';
import './base.css';
