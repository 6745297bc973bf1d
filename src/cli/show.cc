// show
